// Issue 12 item 10, against a real `treewall serve`: what opens can be saved (one nesting limit
// for both), Save asks before replacing a file that is not a treewall document, and a document
// that is not valid UTF-8 opens with a note saying what was replaced.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_NESTING } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { documentToXml } from '../../shared/plist/document.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { startServe, type ServeHandle } from '../testing/treewall-processes.ts';

type Reply =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: { code: string; message: string } };

let standIn: string;
let serve: ServeHandle;
let ws: WebSocket;
let nextId = 0;

/** Put a file into the served folder. */
async function put(name: string, data: string | Buffer): Promise<string> {
  const file = path.join(serve.folder, name);
  await writeFile(file, data);
  return file;
}

function call(channel: string, request: unknown): Promise<Reply> {
  const id = ++nextId;
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: Reply };
      if (message.id !== id) return;
      ws.off('message', on);
      resolve(message.result!);
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, channel, request }));
  });
}

/** A chain of `depth` rules, each the only child of the one before. */
function deepDocument(depth: number): FirewallDocument {
  let rule = createRule({ id: `r${depth}` });
  for (let i = depth - 1; i >= 1; i--) rule = createRule({ id: `r${i}`, children: [rule] });
  return { rules: [rule], settings: { ...DEFAULT_SETTINGS } };
}

beforeAll(async () => {
  // A stand-in page: these tests talk to the WebSocket only.
  standIn = await mkdtemp(path.join(os.tmpdir(), 'tw-edges-page-'));
  await writeFile(path.join(standIn, 'index.html'), '<!doctype html><title>t</title>');
  serve = await startServe({ extraArgs: ['--renderer-dir', standIn] });
  ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`, {
    origin: `http://127.0.0.1:${serve.port}`,
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
}, 60_000);

afterAll(async () => {
  ws?.close();
  await serve?.stop();
  if (standIn) await rm(standIn, { recursive: true, force: true });
});

describe('serve: nesting limit on open = on save', () => {
  // In a save request (request, document, rules, rule, children, rule, ...) the d-th rule's
  // `children` is at nesting 2d + 3, and a request may nest MAX_NESTING deep.
  const deepest = Math.floor((MAX_NESTING - 3) / 2);

  it(`a document ${deepest} rules deep opens, saves and opens again`, async () => {
    await put('deep-ok.treewall', documentToXml(deepDocument(deepest)));
    const opened = await call('document:open', { path: 'deep-ok.treewall' });
    expect(opened.ok).toBe(true);
    const document = (opened as unknown as { value: { document: FirewallDocument } }).value
      .document;
    expect((await call('document:save', { path: 'deep-ok.treewall', document })).ok).toBe(true);
    expect((await call('document:open', { path: 'deep-ok.treewall' })).ok).toBe(true);
  });

  it(`one level deeper is refused when opened, as it would be when saved`, async () => {
    const doc = deepDocument(deepest + 1);
    const saved = await call('document:save', { path: 'deep-new.treewall', document: doc });
    expect(saved).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    await put('deep-too.treewall', documentToXml(doc));
    const opened = await call('document:open', { path: 'deep-too.treewall' });
    expect(opened).toMatchObject({ ok: false, error: { code: 'parse-error' } });
    expect(!opened.ok && opened.error.message).toMatch(
      /deep-too.treewall: rules or values nested deeper than treewall can save \(255 levels, at rules\.0\.children/,
    );
  });
});

describe('serve: Save asks before replacing a file that is not a document', () => {
  const doc: FirewallDocument = {
    rules: [createRule({ id: 'a', action: 'Pass' })],
    settings: { ...DEFAULT_SETTINGS },
  };

  it('refuses with `exists` and leaves the file, replaces it with overwrite, then saves plainly', async () => {
    const notes = await put('notes.txt', 'my notes, not a firewall\n');
    const first = await call('document:save', { path: 'notes.txt', document: doc });
    expect(first).toMatchObject({ ok: false, error: { code: 'exists' } });
    expect(!first.ok && first.error.message).toBe(
      'notes.txt already exists and is not a treewall document; saving replaces it',
    );
    expect(await readFile(notes, 'utf8')).toBe('my notes, not a firewall\n');
    expect(
      (await call('document:save', { path: 'notes.txt', document: doc, overwrite: true })).ok,
    ).toBe(true);
    expect(await readFile(notes, 'utf8')).toContain('filterTable');
    // Now it is a treewall document: saving over it needs no question.
    expect((await call('document:save', { path: 'notes.txt', document: doc })).ok).toBe(true);
    // Nor does a new file, or an IPNetSentryX-style document.
    expect((await call('document:save', { path: 'new.treewall', document: doc })).ok).toBe(true);
    await put(
      'old.nsy',
      '<?xml version="1.0"?>\n<plist version="1.0"><dict><key>SentryDocument_filterTable</key><dict/></dict></plist>\n',
    );
    expect((await call('document:save', { path: 'old.nsy', document: doc })).ok).toBe(true);
  });
});

describe('serve: invalid UTF-8 is said when opening', () => {
  it('names how many sequences became U+FFFD; a valid U+FFFD is not counted', async () => {
    const xml = documentToXml({
      rules: [
        createRule({ id: 'a', name: 'NAME1', action: 'Pass' }),
        createRule({ id: 'b', name: 'ok \ufffd' }),
      ],
      settings: { ...DEFAULT_SETTINGS },
    });
    const [before, after] = xml.split('NAME1') as [string, string];
    const bytes = Buffer.concat([
      Buffer.from(before, 'utf8'),
      Buffer.from([0x62, 0x61, 0x64, 0xff, 0x20, 0xc3]), // "bad", 0xFF, " ", a cut-off sequence
      Buffer.from(after, 'utf8'),
    ]);
    await put('latin.treewall', bytes);
    const opened = await call('document:open', { path: 'latin.treewall' });
    expect(opened.ok).toBe(true);
    const value = (opened as unknown as { value: { document: FirewallDocument; notes?: string[] } })
      .value;
    expect(value.document.rules[0]!.name).toBe('bad\ufffd \ufffd');
    expect(value.notes).toEqual([
      'latin.treewall is not valid UTF-8: 2 byte sequences were read as U+FFFD (\ufffd); saving writes them that way',
    ]);
    await put(
      'valid.treewall',
      documentToXml({
        rules: [createRule({ id: 'c', name: 'ok \ufffd' })],
        settings: { ...DEFAULT_SETTINGS },
      }),
    );
    const valid = await call('document:open', { path: 'valid.treewall' });
    expect(valid.ok && valid.value.notes).toBeUndefined();
  });
});
