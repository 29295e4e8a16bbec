// Issue 12 item 7: text from a document reaches the terminal escaped. Real `treewall` processes;
// the document's value carries an ESC sequence that would clear the screen.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTreewallSync } from '../testing/treewall-processes.ts';

/** The CLI as a user runs it (through the test harness), its output and errors together. */
function treewall(...args: string[]): { code: number; out: string } {
  const r = runTreewallSync(args);
  return { code: r.code, out: r.stdout + r.stderr };
}

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let folder: string;
beforeAll(async () => {
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'tw-escape-'));
  await fs.writeFile(
    path.join(folder, 'esc.txt'),
    `( { nodeName = "name\\U001b]0;title\\U0007"; enabled = 1; propertyName = "Dest port";
    propertyValue = "22\\U001b[2J\\U009b1m"; filterActionName = Pass; } )`,
  );
});
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

describe('invalid UTF-8 in a document read by the CLI', () => {
  it('check says how many sequences became U+FFFD (issue 12 item 10)', async () => {
    const file = path.join(folder, 'latin1.txt');
    await fs.writeFile(
      file,
      Buffer.concat([
        Buffer.from('( { nodeName = "caf'),
        Buffer.from([0xe9]), // Latin-1 é: not UTF-8
        Buffer.from('"; enabled = 1; propertyName = Any; filterActionName = Pass; } )'),
      ]),
    );
    const r = treewall('check', file);
    expect(r.out).toContain(
      `treewall check: note: ${file} is not valid UTF-8: 1 byte sequence was read as U+FFFD`,
    );
    expect(r.code).toBe(0);
  });
});

describe('control characters in command-line output', () => {
  it('check prints the bad value with its ESC escaped, never raw', () => {
    const r = treewall('check', path.join(folder, 'esc.txt'));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('\\u001b[2J');
    expect(r.out).toContain('\\u009b');
    expect(r.out).not.toMatch(RAW_CONTROL);
  });

  it('--json output stays JSON with the same text', () => {
    const r = treewall('check', '--json', path.join(folder, 'esc.txt'));
    expect(r.out).not.toMatch(RAW_CONTROL);
    expect(JSON.stringify(JSON.parse(r.out))).toContain('22\\u001b[2J');
  });
});
