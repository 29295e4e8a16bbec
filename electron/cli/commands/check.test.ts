import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTreewallSync } from '../../testing/treewall-processes.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const defaultDocument = path.join(root, 'resources/default.treewall');

/** The CLI as a user runs it (through the test harness). */
const treewall = (...args: string[]) => runTreewallSync(args);

let folder: string;
beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tw-check-'));
  // NeXT text, as pasted: rule 2 has a bad port in its first child (rule 2.1).
  await fs.writeFile(
    path.join(folder, 'bad.txt'),
    `(
  { nodeName = ok; enabled = 1; propertyName = "Dest port"; propertyValue = 22; filterActionName = Pass; },
  { enabled = 1; propertyName = Direction; propertyValue = inbound; filterActionName = "->";
    children = ( { enabled = 1; propertyName = "Dest port"; propertyValue = 70000; filterActionName = Delete; } ); }
)`,
  );
  await fs.writeFile(path.join(folder, 'broken.txt'), '(\n  { enabled = 1 }\n)');
  await fs.writeFile(path.join(folder, 'unknown.txt'), '( { propertyName = Colour; } )');
});
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

describe('treewall check', () => {
  it('prints ok and exits 0 for the factory default document; its rules that are off are notes', () => {
    const r = treewall('check', defaultDocument);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^ok \(\d+ notes?\)$/);
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^note: rule [\d.]+: .*\(the rule is off\)$/);
    expect(r.code).toBe(0);
  });

  it('is never ok for a document compile refuses, and shows compiler warnings', async () => {
    // A Route to reached by arriving packets: only the compiler refuses it.
    const file = path.join(folder, 'route.txt');
    await fs.writeFile(
      file,
      `( { enabled = 1; propertyName = "TCP header flags"; propertyValue = rst; filterActionName = "Route to"; parameter = "10.0.0.9"; },
         { enabled = 1; propertyName = Interface; propertyValue = external; filterActionName = Pass; } )`,
    );
    const check = treewall('check', file);
    const compiled = treewall('compile', file);
    expect(compiled.code).toBe(2);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain('rule 1: Route to reaches arriving packets');
    expect(check.stdout).toContain('warning: rule 2: Interface external');
  });

  it('prints each problem by rule number and exits 2', () => {
    const r = treewall('check', path.join(folder, 'bad.txt'));
    expect(r.stdout.trim().split('\n')).toEqual([
      'rule 2.1: Dest port 70000 is out of range (0-65535)',
    ]);
    expect(r.code).toBe(2);
  });

  it('prints FILE:LINE:COL for text that does not parse, and names the rule of an unknown name', () => {
    const file = path.join(folder, 'broken.txt');
    const broken = treewall('check', file);
    expect(broken.stderr.trim()).toBe(`${file}:2:17: missing ';' after the value of key 'enabled'`);
    expect(broken.code).toBe(2);
    const unknown = treewall(
      'check',
      path.join(folder, 'unknown.txt'),
      path.join(folder, 'missing.txt'),
    );
    expect(unknown.stderr).toContain("unknown.txt: rule 1: unknown property 'Colour'");
    expect(unknown.stderr).toContain('missing.txt: no such file');
    expect(unknown.code).toBe(2);
  });

  it('--json reports problems and errors as data', () => {
    const r = treewall(
      'check',
      '--json',
      path.join(folder, 'bad.txt'),
      path.join(folder, 'broken.txt'),
      defaultDocument,
    );
    const reports = JSON.parse(r.stdout) as {
      ok: boolean;
      problems: { number: string; field?: string }[];
      error?: { line?: number };
    }[];
    expect(reports.map((x) => x.ok)).toEqual([false, false, true]);
    expect(reports[0]!.problems).toMatchObject([
      { number: '2.1', field: 'value', severity: 'error' },
    ]);
    expect(reports[1]!.error).toMatchObject({ kind: 'syntax', line: 2, column: 17 });
    expect(r.code).toBe(2);
  });
});
