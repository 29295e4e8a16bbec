// systemProgram: programs found in fixed system directories, never through PATH.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_DIRS, systemProgram } from './programs.ts';

describe('systemProgram', () => {
  it('finds programs in the fixed system directories and never through PATH', () => {
    // A directory first in PATH with an executable `sh` in it (sh exists in /bin everywhere).
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-path-'));
    const before = process.env.PATH;
    try {
      writeFileSync(path.join(dir, 'sh'), '#!/bin/false\n');
      chmodSync(path.join(dir, 'sh'), 0o755);
      process.env.PATH = `${dir}:${before ?? ''}`;
      const sh = systemProgram('sh');
      expect(SYSTEM_DIRS.map((d) => path.join(d, 'sh'))).toContain(sh);
      expect(sh.startsWith(dir)).toBe(false);
    } finally {
      process.env.PATH = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a path that fails to spawn for a program that is not installed', () => {
    expect(systemProgram('treewall-no-such-program')).toBe('/usr/sbin/treewall-no-such-program');
    expect(() => systemProgram('../bin/sh')).toThrow(/bare program name/);
  });
});
