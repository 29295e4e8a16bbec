import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseFleet } from '../../../shared/fleet/fleet.ts';
import { run } from './fleet.ts';

describe('treewall fleet', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-fleet-cli-'));
  const file = path.join(dir, 'sub', 'fleet.json');
  afterEach(() => vi.restoreAllMocks());

  it('adds, lists and removes hosts; refuses names and addresses ssh would read as options', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await run(['add', 'web-1', 'admin@web-1:2222', '--group', 'web', '--fleet', file])).toBe(
      0,
    );
    expect(await run(['add', 'gw', '--fleet', file, '--group', 'edge', '--group', 'web'])).toBe(0);
    expect(await run(['add', 'gw', 'x', '--fleet', file])).toBe(2); // already there
    expect(await run(['add', '-oProxyCommand=touch /tmp/x', '--fleet', file])).toBe(2);
    expect(await run(['add', 'evil', 'root@-oProxyCommand=x', '--fleet', file])).toBe(2);
    expect(await run(['add', 'evil', 'host:99999', '--fleet', file])).toBe(2);
    const parsed = parseFleet(readFileSync(file, 'utf8'));
    if (!('fleet' in parsed)) throw new Error('invalid');
    expect(parsed.fleet.hosts).toEqual([
      { name: 'web-1', address: 'admin@web-1:2222', groups: ['web'] },
      { name: 'gw', groups: ['edge', 'web'] },
    ]);
    expect(await run(['list', '--fleet', file])).toBe(0);
    expect(await run(['remove', 'web-1', '--fleet', file])).toBe(0);
    expect(await run(['remove', 'web-1', '--fleet', file])).toBe(2);
    writeFileSync(file, '{"version": 1, "hosts": [{"name": "-x"}]}');
    expect(await run(['list', '--fleet', file])).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});
