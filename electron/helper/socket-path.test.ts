// Runtime: Node. The helper refuses to start on a --socket path that is not a socket, and
// leaves that file alone (it runs as root: it must never delete what a path points at).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTreewall } from '../testing/treewall-processes.ts';

describe('helper --socket', () => {
  it('refuses a path that is a regular file and does not remove it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tw-sock-'));
    try {
      const socket = path.join(dir, 'not-a-socket');
      await writeFile(socket, 'precious');
      const result = await runTreewall([
        'helper',
        '--socket',
        socket,
        '--state-dir',
        path.join(dir, 'state'),
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('is not a socket');
      expect(await readFile(socket, 'utf8')).toBe('precious');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
