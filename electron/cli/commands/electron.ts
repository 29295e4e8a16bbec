// Runtime: plain Node. `treewall electron` (`npm start`): builds the app if needed and launches
// the Electron binary on it, or explains how to use the browser host when there is no binary.
// NOTE: never `require('electron')` here: that would try to download the binary (see
// electron/common/electron-binary.ts).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from '../../common/electron-binary.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const summary = 'Open the desktop editor (Electron), if its binary is installed';

export const usage = `usage: treewall electron [--build] [--socket=PATH] [FILE...]

Opens one editor window per FILE (or an untitled document). Builds dist/ first when it is
missing (or with --build). Without the Electron binary, use the browser host instead:
  npm run serve        (treewall serve), then open the URL it prints`;

export async function run(args: string[]): Promise<number> {
  const binary = findElectronBinary();
  if (binary.path === null) {
    console.error(
      `treewall electron: cannot start the desktop app: ${binary.reason}.\n` +
        'Install it with `npx install-electron` where downloads work, or use the browser host:\n' +
        '  npm run serve      # then open the http://127.0.0.1:.../?token=... URL it prints',
    );
    return 1;
  }
  const force = args.includes('--build');
  const rest = args.filter((a) => a !== '--build');
  const needed = [
    'dist/renderer/index.html',
    'dist/electron/main/index.js',
    'dist/electron/preload/index.cjs',
  ];
  if (force || needed.some((file) => !existsSync(path.join(repoRoot, file)))) {
    console.log('treewall electron: building dist/ ...');
    const { build } = await import('vite');
    for (const mode of ['production', 'electron-main', 'electron-preload']) {
      await build({ configFile: path.join(repoRoot, 'vite.config.ts'), mode, logLevel: 'warn' });
    }
  }
  // `electron <repo>` runs package.json's "main" (dist/electron/main/index.js) with the repo as
  // the app path, where resources/default.treewall is found.
  const files = rest.map((a) => (a.startsWith('-') ? a : path.resolve(a)));
  const child = spawn(binary.path, [repoRoot, ...files], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`treewall electron: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}
