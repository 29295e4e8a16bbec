// The link to the helper, against a scripted helper on a real Unix socket (the protocol's framing
// and schemas are real; the answers are canned): connecting late, events, going away, errors.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName, HelperStatus } from '../../shared/ipc/app-api.ts';
import {
  decodeHelperMessage,
  encodeHelperMessage,
  PROTOCOL_VERSION,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import { ApiCallError } from '../../shared/ipc/app-api.ts';
import { connectHelper } from './helper-link.ts';
import type { HelperPort } from './helper-port.ts';

const status = (socketPath: string, active: boolean): HelperStatusResult => ({
  protocol: PROTOCOL_VERSION,
  version: 'test',
  pid: 1,
  socketPath,
  stateDir: '/tmp',
  logGroup: 1729,
  active,
  matchesApplied: active,
  appliedAt: active ? '2026-11-23T12:00:00.000Z' : null,
  ruleCount: active ? 3 : null,
  documentHash: null,
  pendingConfirm: null,
  canRevert: false,
  logReader: 'unavailable',
  timerRules: [],
  warnings: [],
  lastError: null,
  clients: 1,
});

interface FakeHelper {
  server: net.Server;
  sockets: Set<net.Socket>;
  calls: string[];
  send(event: string, data: unknown): void;
  close(): Promise<void>;
}

/** When set, the fake helper follows its status reply with this `helper:state` event. */
let stateAfterStatus: HelperStatusResult | null = null;

async function fakeHelper(socketPath: string): Promise<FakeHelper> {
  const sockets = new Set<net.Socket>();
  const calls: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const { id, call } = decodeHelperMessage(line) as { id: number; call: string };
        calls.push(call);
        const reply = (body: object) => socket.write(encodeHelperMessage({ id, ...body }) + '\n');
        if (call === 'status' && stateAfterStatus) {
          // The reply and a newer state event in one chunk (the client reads both at once).
          socket.write(
            encodeHelperMessage({ id, ok: true, result: status(socketPath, false) }) +
              '\n' +
              encodeHelperMessage({ event: 'helper:state', data: stateAfterStatus }) +
              '\n',
          );
        } else if (call === 'status') reply({ ok: true, result: status(socketPath, false) });
        else if (call === 'countersSubscribe') reply({ ok: true, result: { intervalMs: 1000 } });
        else if (call === 'logSubscribe') {
          reply({ ok: false, error: { code: 'unavailable', message: 'no tcpdump' } });
        } else if (call === 'apply') {
          reply({
            ok: false,
            error: {
              code: 'invalid-document',
              message: '1 problem',
              problems: [
                {
                  ruleId: 'r1',
                  number: '1',
                  field: 'value',
                  message: 'Dest port 70000 is out of range',
                },
              ],
            },
          });
        } else reply({ ok: false, error: { code: 'not-active', message: 'nothing applied' } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    server,
    sockets,
    calls,
    send(event, data) {
      for (const socket of sockets) socket.write(encodeHelperMessage({ event, data }) + '\n');
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves with the first event matching `predicate`. */
function nextEvent(port: HelperPort, predicate: (event: EventName, payload: unknown) => boolean) {
  return new Promise<unknown>((resolve) => {
    const stop = port.onEvent((event, payload) => {
      if (predicate(event, payload)) {
        stop();
        resolve(payload);
      }
    });
  });
}

let dir: string;
let socketPath: string;
let link: HelperPort | undefined;
let helper: FakeHelper | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tw-link-'));
  socketPath = path.join(dir, 'helper.sock');
});

afterEach(async () => {
  await link?.close();
  await helper?.close();
  link = helper = undefined;
  stateAfterStatus = null;
  await rm(dir, { recursive: true, force: true });
});

describe('helper link', () => {
  it('says plainly that the helper is absent, then connects when it appears', async () => {
    link = connectHelper(socketPath, { retryMs: 50 });
    const absent = await link.status();
    expect(absent).toMatchObject({ connected: false, socketPath, helper: null });
    expect(absent.message).toContain(`sudo treewall helper --socket ${socketPath}`);
    await expect(link.call('counters', {})).rejects.toMatchObject({ code: 'helper-unavailable' });

    const connected = nextEvent(
      link,
      (e, p) => e === 'helper:state' && (p as HelperStatus).connected,
    );
    helper = await fakeHelper(socketPath);
    expect(await connected).toMatchObject({
      connected: true,
      active: false,
      helper: { version: 'test' },
    });
    expect(link.connected()).toBe(true);
    // It subscribed to the streams on connect (the log one failing is not fatal).
    await expect
      .poll(() => helper!.calls)
      .toEqual(expect.arrayContaining(['countersSubscribe', 'logSubscribe']));
  });

  it('forwards helper events as app events', async () => {
    helper = await fakeHelper(socketPath);
    link = connectHelper(socketPath, { retryMs: 50 });
    await nextEvent(link, (e, p) => e === 'helper:state' && (p as HelperStatus).connected);
    const tick = {
      at: '2026-11-23T12:00:01.000Z',
      intervalMs: 1000,
      changed: { r1: { packets: 5, bytes: 300, dPackets: 2, dBytes: 120 } },
      totals: { dPackets: 2, dBytes: 120 },
    };
    const ticked = nextEvent(link, (e) => e === 'counters:tick');
    const state = nextEvent(link, (e, p) => e === 'helper:state' && (p as HelperStatus).active);
    helper.send('counters:tick', tick);
    helper.send('helper:state', status(socketPath, true));
    expect(await ticked).toEqual(tick);
    expect(await state).toMatchObject({ connected: true, active: true, ruleCount: 3 });
  });

  it('never announces the connect status after a newer state event', async () => {
    // The connect status says "off"; the event the helper sent right after it says "on" (an
    // apply finished). The app must end on "on".
    stateAfterStatus = status(socketPath, true);
    helper = await fakeHelper(socketPath);
    link = connectHelper(socketPath, { retryMs: 50 });
    const seen: HelperStatus[] = [];
    link.onEvent((e, p) => e === 'helper:state' && seen.push(p as HelperStatus));
    await expect.poll(() => helper!.calls).toContain('countersSubscribe');
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ connected: true, active: true });
  });

  it('maps helper errors, keeping the problems of an invalid document', async () => {
    helper = await fakeHelper(socketPath);
    link = connectHelper(socketPath, { retryMs: 50 });
    const error = await link
      .call('apply', {
        document: {
          rules: [],
          settings: {
            firewallOn: false,
            defaultTriggerDuration: 0,
            defaultPolicy: 'pass',
            selectedStatistic: 'none',
            externalInterfaces: [],
            internalInterfaces: [],
          },
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ code: 'invalid-document', problems: [{ ruleId: 'r1' }] });
    await expect(link.call('showActive', {})).rejects.toMatchObject({
      code: 'helper-error',
      message: 'nothing applied',
    });
  });

  it('announces a helper that goes away, and reconnects when it is back', async () => {
    helper = await fakeHelper(socketPath);
    link = connectHelper(socketPath, { retryMs: 50 });
    await nextEvent(link, (e, p) => e === 'helper:state' && (p as HelperStatus).connected);
    const gone = nextEvent(link, (e, p) => e === 'helper:state' && !(p as HelperStatus).connected);
    await helper.close();
    expect(await gone).toMatchObject({ connected: false });
    await expect(link.call('counters', {})).rejects.toMatchObject({ code: 'helper-unavailable' });
    const back = nextEvent(link, (e, p) => e === 'helper:state' && (p as HelperStatus).connected);
    await rm(socketPath, { force: true });
    helper = await fakeHelper(socketPath);
    expect(await back).toMatchObject({ connected: true });
  });
});
