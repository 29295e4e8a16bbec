// The deb's /usr/bin/treewall (resources/treewall): a CLI command runs the bundled CLI as plain
// Node (ELECTRON_RUN_AS_NODE) — the fleet's `ssh HOST treewall helper-bridge` must never start the
// app's window — and anything else opens the app. Run against a stand-in for /opt/treewall whose
// "Electron" prints what it was given.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVE_NODE_OPTIONS } from '../common/document-files.ts';
import { COMMAND_NAMES } from './main.ts';

const script = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/treewall',
);
const home = mkdtempSync(path.join(tmpdir(), 'tw-packaged-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(path.join(home, 'resources/cli'), { recursive: true });
writeFileSync(
  path.join(home, 'treewall'),
  '#!/bin/sh\necho "as-node=${ELECTRON_RUN_AS_NODE:-no} $*"\n',
);
chmodSync(path.join(home, 'treewall'), 0o755);

const runAs = (...args: string[]): string =>
  execFileSync(script, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TREEWALL_HOME: home },
    encoding: 'utf8',
  }).trim();

describe('the packaged treewall command', () => {
  it('runs helper-bridge as plain Node over the CLI bundle, never the app', () => {
    expect(runAs('helper-bridge', '--socket', '/run/x.sock')).toBe(
      `as-node=1 ${home}/resources/cli/treewall.js helper-bridge --socket /run/x.sock`,
    );
  });

  it('runs every CLI command but `electron` as plain Node', () => {
    for (const name of COMMAND_NAMES) {
      const out = runAs(name);
      // serve gets its node options (SERVE_NODE_OPTIONS) before the bundle.
      const options = name === 'serve' ? `${SERVE_NODE_OPTIONS.join(' ')} ` : '';
      if (name === 'electron') expect(out).toBe('as-node=no electron');
      else expect(out, name).toBe(`as-node=1 ${options}${home}/resources/cli/treewall.js ${name}`);
    }
  });

  it('opens the app for no arguments, a document, or an Electron flag', () => {
    expect(runAs()).toBe('as-node=no');
    expect(runAs('rules.treewall')).toBe('as-node=no rules.treewall');
    expect(runAs('--enable-logging')).toBe('as-node=no --enable-logging');
  });
});
