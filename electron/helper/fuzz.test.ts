// Fuzz run (issue 12): random and mutated messages against a live helper (its Unix socket) and
// against a live `treewall serve` (its WebSocket, with that helper behind it). Both must stay
// alive and answer, and at the end the kernel's table must be the last document an apply
// accepted. Seeded: the same seed sends the same messages.
//   normal run:  a short run (TW_FUZZ_MESSAGES, default 300 per target)
//   long run:    npm run test:fuzz  (10,000+ messages; TW_FUZZ_SEED picks the seed)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../../shared/model/vocabulary.ts';
import { HelperClient } from '../common/helper-client.ts';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  sweepStale,
  TestNet,
  type Namespace,
} from '../testing/netns.ts';
import { tableFingerprint, type NftJson } from './nft.ts';
import {
  startHelper,
  startServe,
  type HelperProcess,
  type ServeHandle,
} from '../testing/treewall-processes.ts';

const SEED = Number(process.env.TW_FUZZ_SEED ?? 20261207);
const PER_TARGET = Number(process.env.TW_FUZZ_MESSAGES ?? 300);
const LOG_GROUP = 3021;

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  return { next, int, pick };
}
type Rand = ReturnType<typeof prng>;

const rule = (id: string, partial: Partial<Rule>): Rule => createRule({ id, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

/** Documents the helper accepts (so some applies succeed and change the table). */
const GOOD_DOCS: FirewallDocument[] = [
  doc([rule('p22', { property: 'Dest port', value: '22', action: 'Pass' })]),
  doc([
    rule('inb', {
      property: 'Direction',
      value: 'inbound',
      action: '->',
      children: [
        rule('icmp', { property: 'Protocol', value: 'icmp', action: 'Pass' }),
        rule('u53', { property: 'Dest port', value: '53', action: 'Delete' }),
      ],
    }),
  ]),
  doc([rule('net', { property: 'Source net', value: '192.0.2.0/24', action: 'Delete' })]),
];

/** Strings that have broken parsers before. */
const NASTY = [
  '',
  '\u0000',
  '\u001b[2J',
  '\ud800',
  '__proto__',
  'constructor',
  'A'.repeat(5000),
  '1e999',
  '-0',
  '../../etc/passwd',
  '%00',
  '\u202e',
  '*',
  '0.0.0.0/0',
  '::',
  '999999999999999999999',
];

function randomValue(r: Rand, depth = 0): unknown {
  switch (r.int(depth > 3 ? 7 : 10)) {
    case 0:
      return r.pick(NASTY);
    case 1:
      return r.int(2) ? r.int(1 << 30) : -r.next() * 1e12;
    case 2:
      return r.pick([Number.MAX_SAFE_INTEGER, 2 ** 64, -1, 0, 0.5, 1e308]);
    case 3:
      return r.int(2) === 0;
    case 4:
      return null;
    case 5:
      return r.pick([...PROPERTY_NAMES, ...RELATION_NAMES, ...ACTION_NAMES]);
    case 6:
      return String.fromCharCode(...Array.from({ length: r.int(20) }, () => r.int(0x3000)));
    case 7:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 8:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [r.pick(KEYS), randomValue(r, depth + 1)]),
      );
    default: {
      // Deep nesting, on either side of the limit.
      let v: unknown = 1;
      for (let i = r.int(2000); i > 0; i--) v = r.int(2) ? { a: v } : [v];
      return v;
    }
  }
}

/** Keys worth trying (the protocol's own, and some that are not). */
const KEYS = [
  'id',
  'call',
  'params',
  'document',
  'rules',
  'settings',
  'extra',
  'children',
  'property',
  'relation',
  'value',
  'action',
  'parameter',
  'name',
  'enabled',
  'expanded',
  'address',
  'type',
  'text',
  'durationSeconds',
  'intervalMs',
  'withText',
  'channel',
  'request',
  'path',
  '__proto__',
  'x',
];

/** Calls the fuzzer may name: never stop/revert/confirm (it tracks the table through applies). */
const HELPER_CALLS_OK = [
  'status',
  'apply',
  'showActive',
  'counters',
  'countersSubscribe',
  'countersUnsubscribe',
  'triggered.list',
  'triggered.add',
  'triggered.remove',
  'triggered.export',
  'logSubscribe',
  'logUnsubscribe',
  'interfaces',
];

function validHelperParams(r: Rand, call: string): unknown {
  switch (call) {
    case 'apply':
      return { document: structuredClone(r.pick(GOOD_DOCS)) };
    case 'showActive':
      return { withText: false };
    case 'countersSubscribe':
      return { intervalMs: 1000 };
    case 'triggered.add':
    case 'triggered.remove':
      return { address: `198.51.100.${r.int(256)}` };
    default:
      return {};
  }
}

/** Change a value in place somewhere inside `root` (or replace root). */
function mutate(r: Rand, root: unknown): unknown {
  if (typeof root !== 'object' || root === null || r.int(8) === 0) return randomValue(r);
  // Walk down a random path.
  let parent = root as Record<string, unknown>;
  for (let steps = r.int(6); steps > 0; steps--) {
    const keys = Object.keys(parent);
    if (keys.length === 0) break;
    const child = parent[r.pick(keys)];
    if (typeof child !== 'object' || child === null) break;
    parent = child as Record<string, unknown>;
  }
  const keys = Object.keys(parent);
  const key = keys.length > 0 && r.int(4) > 0 ? r.pick(keys) : r.pick(KEYS);
  switch (r.int(5)) {
    case 0:
      delete parent[key];
      break;
    case 1:
      parent[r.pick(KEYS)] = parent[key];
      break;
    case 2:
      parent[key] = r.pick(HELPER_CALLS_OK);
      break;
    default:
      parent[key] = randomValue(r);
  }
  return root;
}

/** Byte-level damage to a line (never a newline: framing is not what this run is about). */
function damageText(r: Rand, text: string): Buffer {
  let bytes = Buffer.from(text);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(bytes.length + 1);
    switch (r.int(4)) {
      case 0:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + r.int(8))]);
        break;
      case 1:
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0x00, 0x22, 0x7b, 0x5b].slice(r.int(8))),
          bytes.subarray(at),
        ]);
        break;
      case 2:
        bytes = bytes.subarray(0, at);
        break;
      default:
        if (at < bytes.length) bytes[at] = r.int(256);
    }
  }
  return Buffer.from(bytes.map((b) => (b === 0x0a ? 0x20 : b)));
}

/** One message: its bytes, and (when it is an intact apply) the document it applies. */
interface Message {
  bytes: Buffer;
  applies?: FirewallDocument;
}

function helperMessage(r: Rand, id: number): Message {
  const call = r.pick(HELPER_CALLS_OK);
  const message: Record<string, unknown> = { id, call, params: validHelperParams(r, call) };
  const kind = r.int(10);
  if (kind < 3) {
    const params = message.params as { document?: FirewallDocument };
    return {
      bytes: Buffer.from(JSON.stringify(message)),
      ...(call === 'apply' ? { applies: params.document! } : {}),
    };
  }
  if (kind < 7) return { bytes: Buffer.from(JSON.stringify(mutate(r, message) ?? null)) };
  if (kind < 9) return { bytes: damageText(r, JSON.stringify(message)) };
  return { bytes: Buffer.from(JSON.stringify(randomValue(r)) ?? 'undefined') };
}

/** The helper: send one line, then a cheap call that is answered in order behind it. */
class LineClient {
  private buffer = '';
  private waiters: ((line: Record<string, unknown>) => void)[] = [];
  readonly replies: Record<string, unknown>[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>;
        this.buffer = this.buffer.slice(nl + 1);
        if ('event' in line) continue;
        this.replies.push(line);
        this.waiters.shift()?.(line);
      }
    });
  }
  static connect(path: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect(path, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }
  /** Send `bytes` + newline, then a sentinel; resolves with the replies before the sentinel's. */
  async exchange(bytes: Buffer, sentinel: string): Promise<Record<string, unknown>[]> {
    const start = this.replies.length;
    this.socket.write(Buffer.concat([bytes, Buffer.from('\n')]));
    this.socket.write(JSON.stringify({ id: sentinel, call: 'countersUnsubscribe' }) + '\n');
    const until = Date.now() + 60_000;
    for (;;) {
      const i = this.replies.findIndex((m, k) => k >= start && m.id === sentinel);
      if (i >= 0) return this.replies.slice(start, i).concat(this.replies.slice(i + 1));
      if (Date.now() > until)
        throw new Error(`no answer to the sentinel after ${bytes.length} bytes`);
      await new Promise<void>((resolve) => {
        this.waiters.push(() => resolve());
        setTimeout(resolve, 1000);
      });
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Channels the WebSocket fuzzer may name (helper:stop/revert/confirm never). */
const CHANNELS_OK = [
  'app:info',
  'document:new',
  'document:open',
  'document:save',
  'document:list',
  'document:recent',
  'document:autosave',
  'document:recover',
  'clipboard:readText',
  'clipboard:writeText',
  'helper:status',
  'helper:apply',
  'helper:showActive',
  'helper:counters',
  'triggered:list',
  'triggered:add',
  'triggered:export',
];

function wsMessage(r: Rand, id: number): Message {
  const channel = r.pick(CHANNELS_OK);
  const request: Record<string, unknown> =
    channel === 'helper:apply'
      ? { document: structuredClone(r.pick(GOOD_DOCS)) }
      : channel === 'document:save' || channel === 'document:open'
        ? { path: `f${r.int(5)}.treewall`, document: structuredClone(r.pick(GOOD_DOCS)) }
        : channel === 'triggered:add'
          ? { address: `198.51.100.${r.int(256)}` }
          : {};
  if (channel === 'document:open') delete request.document;
  const message = { id, channel, request };
  const kind = r.int(10);
  if (kind < 3)
    return {
      bytes: Buffer.from(JSON.stringify(message)),
      ...(channel === 'helper:apply' ? { applies: request.document as FirewallDocument } : {}),
    };
  if (kind < 7) return { bytes: Buffer.from(JSON.stringify(mutate(r, message) ?? null)) };
  if (kind < 9) return { bytes: damageText(r, JSON.stringify(message)) };
  return { bytes: Buffer.from(JSON.stringify(randomValue(r)) ?? 'undefined') };
}

describe.skipIf(!kernelTestsAvailable)(
  `fuzz: ${PER_TARGET} messages to the helper and ${PER_TARGET} to serve, seed ${SEED}${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('fuzz');
    let ns: Namespace;
    let socket: string;
    let helper: HelperProcess | undefined;
    let serve: ServeHandle | undefined;
    let wsUrl = '';
    /** The last document an apply was accepted for (either way in). */
    let expected: FirewallDocument | null = null;
    let renderer: string;

    beforeAll(async () => {
      await sweepStale('fuzz');
      ns = await net.namespace('f');
      helper = await startHelper({ namespace: ns.name, args: ['--log-group', String(LOG_GROUP)] });
      socket = helper.socket;
      // serve needs a renderer folder; the fuzz run never loads the page.
      renderer = mkdtempSync(join(tmpdir(), 'tw-fuzz-renderer-'));
      writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>treewall</title>');
      serve = await startServe({ helperSocket: socket, extraArgs: ['--renderer-dir', renderer] });
      wsUrl = `ws://127.0.0.1:${serve.port}/ws?token=${serve.token}`;
    }, 60_000);

    afterAll(async () => {
      await serve?.stop();
      await helper?.stop();
      await net.cleanup();
      if (renderer) rmSync(renderer, { recursive: true, force: true });
    });

    it('the helper answers every line and stays up', async () => {
      const r = prng(SEED);
      const client = await LineClient.connect(socket);
      let answered = 0;
      for (let i = 0; i < PER_TARGET; i++) {
        const message = helperMessage(r, i);
        const replies = await client.exchange(message.bytes, `s${i}`);
        answered += replies.length;
        if (message.applies && replies.some((m) => m.id === i && m.ok === true))
          expected = message.applies;
        if (!helper!.running())
          throw new Error(`helper died at message ${i}:\n${helper!.output()}`);
      }
      client.close();
      expect(helper!.running()).toBe(true);
      expect(answered).toBeGreaterThan(PER_TARGET * 0.5);
    }, 1_800_000);

    it('serve answers every WebSocket message and stays up', async () => {
      const r = prng(SEED + 1);
      const ws = new WebSocket(wsUrl);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      let waiting: ((m: Record<string, unknown>) => void) | undefined;
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as Record<string, unknown>;
        if (!('event' in m)) waiting?.(m);
      });
      for (let i = 0; i < PER_TARGET; i++) {
        const message = wsMessage(r, i);
        const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no reply to message ${i}`)), 60_000);
          waiting = (m) => {
            clearTimeout(timer);
            resolve(m);
          };
          ws.send(message.bytes.toString('utf8'));
        });
        const result = reply.result as { ok?: boolean } | undefined;
        if (message.applies && reply.id === i && result?.ok === true) expected = message.applies;
        if (!serve!.running()) throw new Error(`serve died at message ${i}:\n${serve!.output()}`);
      }
      ws.close();
      expect(serve!.running()).toBe(true);
      expect(helper!.running()).toBe(true);
    }, 1_800_000);

    it('the kernel holds the last document an apply accepted', async () => {
      expect(expected).not.toBeNull();
      const control = await HelperClient.connect(socket);
      const shown = await control.call('showActive', { withText: false });
      expect(shown.document).toEqual(expected);
      expect(shown.matchesKernel).toBe(true);
      // And by our own reading of the kernel: the table hashes to what the helper recorded.
      const status = await control.call('status', {});
      const listing = await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'treewall']);
      expect(tableFingerprint(JSON.parse(listing.stdout) as NftJson)).toBe(status.documentHash);
      await control.close();
      console.log(
        `fuzz: seed ${SEED}, ${PER_TARGET} messages to the helper and ${PER_TARGET} to serve`,
      );
    }, 60_000);
  },
);
