// Runtime: plain Node. Where the Electron executable is, without triggering its download.
// NOTE: `require('electron')` from Node is not safe here: electron >= 42 downloads the binary on
// first use (and fails offline), so this reads the same files its index.js would, and only looks.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The executable's absolute path, or null with the reason. */
export function findElectronBinary(): { path: string } | { path: null; reason: string } {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed (npm ci)' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override
    ? path.join(override, relative)
    : path.join(packageDir, 'dist', relative);
  if (existsSync(candidate)) return { path: candidate };
  return {
    path: null,
    reason: `the Electron binary is not downloaded (${candidate} is missing)`,
  };
}
