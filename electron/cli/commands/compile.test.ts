// Runtime: vitest under plain Node. `treewall compile`: text, JSON, problems and exit codes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { doc, r } from '../../../shared/compiler/golden/cases.ts';
import type { FirewallDocument } from '../../../shared/model/types.ts';
import { documentToXml } from '../../../shared/plist/document.ts';
import { run } from './compile.ts';

const dir = mkdtempSync(join(tmpdir(), 'tw-compile-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function file(name: string, d: FirewallDocument): string {
  const path = join(dir, name);
  writeFileSync(path, documentToXml(d));
  return path;
}

async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(console, 'log').mockImplementation(
    (...a: unknown[]) => void (out += `${a.join(' ')}\n`),
  );
  vi.spyOn(console, 'error').mockImplementation(
    (...a: unknown[]) => void (err += `${a.join(' ')}\n`),
  );
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const code = await run(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('treewall compile', () => {
  const good = doc([r('ssh', 'Dest port', '==', '22', 'Pass', [], { name: 'ssh' })]);

  it('prints the nft text of a document', async () => {
    const { code, out } = await capture([file('good.xml', good)]);
    expect(code).toBe(0);
    expect(out).toContain('table inet treewall {');
    expect(out).toContain('th dport 22 counter name c_ssh accept');
  });

  it('prints the JSON transaction with --json, and the objects with --objects', async () => {
    const json = await capture([file('good.xml', good), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).nftables[0]).toEqual({ metainfo: { json_schema_version: 1 } });
    const objects = await capture([file('good.xml', good), '--objects']);
    expect(JSON.parse(objects.out).ssh.counter).toBe('c_ssh');
  });

  it('reports rules that cannot compile as `rule N: ...` and exits 2', async () => {
    const bad = doc([
      r('a', 'Any', '==', '', '->', [
        r('b', 'Dest port', '==', '80', 'Delay', [r('c', 'Any', '==', '', 'Log')]),
      ]),
    ]);
    const { code, out, err } = await capture([file('bad.xml', bad)]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^rule 1\.1: Delay takes no children/m);
  });

  it('exits 2 on a missing file or a bad option', async () => {
    expect((await capture([join(dir, 'nope.xml')])).code).toBe(2);
    expect((await capture([file('good.xml', good), '--frobnicate'])).code).toBe(2);
    expect((await capture([])).code).toBe(2);
  });
});
