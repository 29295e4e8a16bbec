// `treewall serve` as a process under hostile WebSocket messages (issue 12, item 1): a message
// nested deeper than the protocol's limit gets an error reply and the process keeps serving.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_NESTING } from '../../shared/ipc/helper-protocol.ts';
import { DEFAULT_SETTINGS } from '../../shared/model/types.ts';
import { startServe } from '../testing/treewall-processes.ts';

const deepJson = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

let standIn: string;

beforeEach(async () => {
  // A stand-in page: this test talks to the WebSocket only.
  standIn = await mkdtemp(path.join(os.tmpdir(), 'tw-serve-robust-'));
  await writeFile(path.join(standIn, 'index.html'), '<!doctype html><title>treewall</title>');
});

afterEach(async () => {
  await rm(standIn, { recursive: true, force: true });
});

/** Open a socket; `send(text)` resolves with the next reply (events skipped). */
export async function rawSocket(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    if ('event' in message) return;
    waiting.shift()?.(message);
  });
  return {
    ws,
    send: (text: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        waiting.push(resolve);
        ws.send(text, (error) => error && reject(error));
        ws.once('close', () => reject(new Error('socket closed before the reply')));
      }),
    close: () => ws.close(),
  };
}

describe('treewall serve under hostile WebSocket messages', () => {
  it('answers deeply nested values (a document extra, a rule extra, any request) with errors and keeps serving', async () => {
    const serve = await startServe({ extraArgs: ['--renderer-dir', standIn] });
    const wsUrl = `ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`;
    try {
      const socket = await rawSocket(wsUrl);
      const bystander = await rawSocket(wsUrl);
      const settings = JSON.stringify(DEFAULT_SETTINGS);
      const document = (extra: string) =>
        `{"rules":[],"settings":${settings},"extra":{"x":${extra}}}`;
      const ruleDoc = (extra: string) =>
        `{"rules":[{"id":"r","enabled":true,"name":"","property":"Any","relation":"==","value":"","action":"Pass","parameter":"","children":[],"expanded":false,"extra":{"x":${extra}}}],"settings":${settings}}`;
      const messages = [
        `{"id":1,"channel":"document:save","request":{"path":"a.treewall","document":${document(deepJson(1000))}}}`,
        `{"id":2,"channel":"helper:apply","request":{"document":${document(deepJson(100_000))}}}`,
        `{"id":3,"channel":"document:autosave","request":{"key":"k","path":null,"name":"x","document":${ruleDoc(deepJson(5000))}}}`,
        `{"id":4,"channel":"app:info","request":${deepJson(50_000)}}`,
      ];
      for (const [i, text] of messages.entries()) {
        const reply = await socket.send(text);
        expect(reply).toMatchObject({ id: i + 1, result: { ok: false } });
        const error = (reply.result as { error: { code: string; message: string } }).error;
        expect(error.code).toBe('bad-request');
        expect(error.message).toMatch(new RegExp(`nested deeper than ${MAX_NESTING} levels`));
      }
      // Nothing was saved, the process is alive, and both connections still work.
      expect(serve.running()).toBe(true);
      for (const s of [socket, bystander]) {
        const info = await s.send('{"id":9,"channel":"app:info","request":{}}');
        expect(info).toMatchObject({ id: 9, result: { ok: true } });
      }
      // As deep as allowed: saved and opened again.
      const allowed = document(deepJson(MAX_NESTING - 4));
      const saved = await socket.send(
        `{"id":10,"channel":"document:save","request":{"path":"ok.treewall","document":${allowed}}}`,
      );
      expect(saved).toMatchObject({ result: { ok: true } });
      const opened = await socket.send(
        `{"id":11,"channel":"document:open","request":{"path":"ok.treewall"}}`,
      );
      expect(opened).toMatchObject({ result: { ok: true } });
      socket.close();
      bystander.close();
    } finally {
      await serve.stop();
    }
  });
});
