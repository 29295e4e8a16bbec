// Runtime: vitest (Node). `treewall simulate`: verdict and path, JSON, shared state, bad input.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from './simulate.ts';

const DOC = `(
{ enabled = 1; filterActionName = "->"; nodeName = suspicious; propertyName = Direction; propertyValue = inbound; relationName = "==";
  children = (
    { enabled = 1; filterActionName = Delete; nodeName = banned; propertyName = Include; propertyValue = triggered; relationName = "=="; },
    { enabled = 1; filterActionName = Trigger; nodeName = telnet; propertyName = "Dest port"; propertyValue = "23 (Telnet)"; relationName = "=="; parameter = "10 min"; },
    { enabled = 1; filterActionName = Pass; nodeName = ssh; propertyName = "Dest port"; propertyValue = 22; relationName = "=="; }
  );
}
)`;

async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await run(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('treewall simulate', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tw-sim-'));
    file = join(dir, 'doc.plist');
    writeFileSync(file, DOC);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the path by rule number and name, and the verdict', async () => {
    const r = await capture([
      file,
      '--packet',
      'in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1\.1\s+-\s+Include == triggered\s+"banned"/);
    expect(r.out).toMatch(/1\.3\s+match\s+Dest port == 22\s+"ssh"\s+=> Pass/);
    expect(r.out).toContain('verdict: PASS by rule 1.3 "ssh" (Pass), not logged');
  });

  it('carries state from one packet to the next: a Trigger bans the next packet', async () => {
    const r = await capture([
      file,
      '--json',
      '--packet',
      'in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:23 flags syn',
      '--packet',
      'in eth0 tcp 10.0.0.5:40001 > 10.0.0.1:22 flags syn',
    ]);
    expect(r.code).toBe(0);
    const [first, second] = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(first).toMatchObject({
      verdict: 'delete',
      verdictAction: 'Trigger',
      logged: true,
      verdictRule: { number: '1.2', name: 'telnet' },
    });
    expect(second).toMatchObject({
      verdict: 'delete',
      verdictRule: { number: '1.1', name: 'banned' },
      matched: ['1', '1.1'],
    });
  });

  it('reads the factory default document: a Telnet probe triggers rule 2.1.5.1', async () => {
    const r = await capture([
      'resources/default.treewall',
      '--packet',
      'in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:23 flags syn',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: DELETE by rule 2.1.5.1 (Trigger), logged');
    expect(r.out).toContain('triggered: 10.0.0.5 for 3600 s by rule 2.1.5.1');
  });

  it('refuses a bad packet or a missing file with exit code 2', async () => {
    const bad = await capture([file, '--packet', 'in eth0 tcp 10.0.0.5:1 > 10.0.0.400:2']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('10.0.0.400');
    expect(
      (await capture([join(dir, 'missing.plist'), '--packet', 'in tcp 1.2.3.4:1 > 5.6.7.8:2']))
        .code,
    ).toBe(2);
    expect((await capture([file])).code).toBe(2);
  });

  it('shows a Port forward translation on arrival, and Route to as the verdict', async () => {
    const nat = join(dir, 'nat.plist');
    writeFileSync(
      nat,
      `(
{ enabled = 1; filterActionName = "Port forward"; nodeName = vm; propertyName = "Dest port"; propertyValue = 2222; relationName = "=="; parameter = "[fd09::2]:22"; },
{ enabled = 1; filterActionName = "Route to"; nodeName = other; propertyName = Direction; propertyValue = outbound; relationName = "=="; parameter = "10.72.0.2 eth2"; }
)`,
    );
    const a = await capture([
      nat,
      '--packet',
      'in eth0 tcp [fd08::2]:40000 > [fd08::1]:2222 flags syn',
    ]);
    expect(a.out).toContain('verdict: PASS by rule 1 "vm" (Port forward)');
    expect(a.out).toContain(
      'translated on arrival (Port forward, before the filter): to [fd09::2]:22',
    );
    const b = await capture([nat, '--packet', 'out eth0 udp 10.0.0.1:5000 > 10.50.0.9:9']);
    expect(b.out).toContain('verdict: ROUTE TO by rule 2 "other" (Route to)');
  });
});
