// Runtime: Node (a build check, `npm run package:check`). Packs the `dir` target with
// electron-builder against a stub Electron (the real one cannot be downloaded everywhere) and
// checks the result: the app bundle holds the built main, preload and renderer and nothing of
// node_modules or sources; resources hold what the helper install needs. Nothing runs.

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'tw-package-'));
const problems: string[] = [];
try {
  const stub = path.join(scratch, 'electron-stub');
  mkdirSync(stub);
  writeFileSync(path.join(stub, 'electron'), '#!/bin/sh\nexit 0\n');
  chmodSync(path.join(stub, 'electron'), 0o755);
  const out = path.join(scratch, 'out');
  execFileSync(
    path.join(root, 'node_modules/.bin/electron-builder'),
    [
      '--linux',
      'dir',
      '--publish',
      'never',
      `-c.electronDist=${stub}`,
      `-c.directories.output=${out}`,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const unpacked = path.join(out, 'linux-unpacked');
  const asar = createRequire(import.meta.url)('@electron/asar') as {
    listPackage(file: string): string[];
  };
  const files = asar.listPackage(path.join(unpacked, 'resources/app.asar'));
  for (const needed of [
    '/package.json',
    '/dist/electron/main/index.js',
    '/dist/electron/preload/index.cjs',
    '/dist/renderer/index.html',
  ]) {
    if (!files.includes(needed)) problems.push(`app.asar lacks ${needed}`);
  }
  for (const file of files) {
    if (file.startsWith('/node_modules/') || /\.(ts|tsx|map)$/.test(file)) {
      problems.push(`app.asar should not hold ${file}`);
    }
  }
  for (const resource of [
    'default.treewall',
    'cli/treewall.js',
    'treewall',
    'treewall-helper',
    'treewall-helper.service',
    'org.treewall.helper.policy',
  ]) {
    if (!existsSync(path.join(unpacked, 'resources', resource))) {
      problems.push(`resources/${resource} is missing from the package`);
    }
  }
  if (!existsSync(path.join(unpacked, 'treewall')))
    problems.push('the executable is not named treewall');
  for (const script of ['treewall-helper', 'treewall']) {
    const wrapper = path.join(unpacked, 'resources', script);
    if (existsSync(wrapper) && (statSync(wrapper).mode & 0o111) === 0) {
      problems.push(`resources/${script} is not executable`);
    }
  }
  // The fleet's remote `treewall helper-bridge` loads the bridge alone, not the whole CLI.
  if (
    !readdirSync(path.join(unpacked, 'resources/cli')).some((f) => /^helper-bridge.*\.js$/.test(f))
  )
    problems.push(
      'resources/cli has no helper-bridge chunk (electron/cli/entry.ts imports it alone)',
    );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(`package check: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log('package check: ok');
}
