// Reliability of the helper as a process (issue 12): hostile lines, kill -9 at chosen moments,
// restarts. The helper runs unchanged inside a network namespace (`ip netns exec NS node
// bin/treewall.js helper ...`) and is killed and restarted for real; the kernel's table is read
// with nft in that namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  sweepStale,
  TestNet,
  type Namespace,
} from '../testing/netns.ts';
import { HelperClient } from './client.ts';

const repo = join(import.meta.dirname, '../..');
const LOG_GROUP = 3011;

const rule = (id: string, partial: Partial<Rule>): Rule => createRule({ id, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

/** `{"a":{"a":...1...}}` nested `depth` levels, as JSON text (what a hostile client sends). */
const deepJson = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One raw line to the socket; resolves with the reply (parsed; events skipped). */
function rawCall(socket: string, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = netConnect(socket);
    let buffer = '';
    s.on('connect', () => s.write(line + '\n'));
    s.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        if ('event' in message) continue; // broadcasts, not the reply
        s.destroy();
        resolve(message);
        return;
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`connection closed without a reply: ${buffer}`)));
  });
}

/** A helper process inside namespace `ns`, started, killed and restarted by the tests. */
export class HelperProcess {
  child: ChildProcess | undefined;
  log = '';
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly ns: Namespace,
    readonly socket: string,
    readonly stateDir: string,
    readonly logGroup = LOG_GROUP,
  ) {}

  async start(extra: string[] = []): Promise<void> {
    this.log = '';
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns.name,
        process.execPath,
        join(repo, 'bin/treewall.js'),
        'helper',
        '--socket',
        this.socket,
        '--state-dir',
        this.stateDir,
        '--log-group',
        String(this.logGroup),
        ...extra,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await Promise.race([
      waitFor(
        'the helper socket',
        async () => (/listening on/.test(this.log) ? true : undefined),
        20_000,
      ),
      this.exit.then((e) => {
        throw new Error(`helper exited (${e.code ?? e.signal}) before listening:\n${this.log}`);
      }),
    ]);
  }

  get pid(): number {
    return this.child!.pid!;
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode) return;
    child.kill(signal);
    await this.exit;
  }
}

describe.skipIf(!kernelTestsAvailable)(
  `the helper as a process under hostile input and kill -9${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('relia');
    let ns: Namespace;
    let dir: string;
    let helper: HelperProcess;

    beforeAll(async () => {
      await sweepStale('relia');
      ns = await net.namespace('h');
      dir = mkdtempSync(join(tmpdir(), 'tw-reliability-'));
    });

    afterEach(async () => {
      await helper?.kill('SIGKILL');
    });

    afterAll(async () => {
      await net.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const fresh = async (name: string): Promise<HelperProcess> => {
      helper = new HelperProcess(ns, join(dir, `${name}.sock`), join(dir, `${name}-state`));
      await helper.start();
      return helper;
    };

    it('answers a deeply nested extra (document and rule) with an error and keeps serving', async () => {
      const h = await fresh('deep');
      const bystander = await HelperClient.connect(h.socket);
      await bystander.call('apply', { document: doc([rule('r1', { action: 'Pass' })]) });
      const settings = JSON.stringify(DEFAULT_SETTINGS);
      const lines = [
        // The document's extra, ~6 KB (the line of issue 12), and far deeper.
        `{"id":1,"call":"apply","params":{"document":{"rules":[],"settings":${settings},"extra":{"x":${deepJson(1000)}}}}}`,
        `{"id":2,"call":"apply","params":{"document":{"rules":[],"settings":${settings},"extra":{"x":${deepJson(100_000)}}}}}`,
        // A rule's extra.
        `{"id":3,"call":"apply","params":{"document":{"rules":[{"id":"r","enabled":true,"name":"","property":"Any","relation":"==","value":"","action":"Pass","parameter":"","children":[],"expanded":false,"extra":{"x":${deepJson(5000)}}}],"settings":${settings}}}}`,
        // Deep values where no document is expected.
        `{"id":4,"call":"status","params":${deepJson(50_000)}}`,
        `{"id":5,"call":"triggered.import","params":{"text":${deepJson(3000)}}}`,
      ];
      expect(lines[0]!.length).toBeLessThan(7000);
      for (const line of lines) {
        const reply = await rawCall(h.socket, line);
        expect(reply).toMatchObject({ ok: false, error: { code: 'bad-request' } });
        expect((reply.error as { message: string }).message).toMatch(
          new RegExp(`nested deeper than ${MAX_NESTING} levels`),
        );
      }
      // Alive, and the client that was connected all along still is.
      expect(h.alive()).toBe(true);
      expect(await bystander.call('status', {})).toMatchObject({ active: true, ruleCount: 1 });
      // A document nested as deep as allowed is accepted, and reads back after a restart.
      const allowed = doc([rule('r1', { action: 'Pass' })]);
      allowed.extra = { x: JSON.parse(deepJson(MAX_NESTING - 4)) as never };
      await bystander.call('apply', { document: allowed });
      await bystander.close();
    });
  },
);
