// Reliability of the helper as a process (issue 12): hostile lines, kill -9 at chosen moments,
// restarts. The helper runs unchanged inside a network namespace (`ip netns exec NS node
// bin/treewall.js helper ...`) and is killed and restarted for real; the kernel's table is read
// with nft in that namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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
import { generateDocument } from '../../bench/generate.ts';
import type { LogEventData } from '../../shared/ipc/helper-protocol.ts';
import { HelperClient } from '../common/helper-client.ts';
import { tableFingerprint, type NftJson } from './nft.ts';
import { waitFor } from '../testing/processes.ts';

const repo = join(import.meta.dirname, '../..');
const LOG_GROUP = 3011;
const PEER = '10.78.0.1';
const HOST = '10.78.0.2';

const rule = (id: string, partial: Partial<Rule>): Rule => createRule({ id, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

/** `{"a":{"a":...1...}}` nested `depth` levels, as JSON text (what a hostile client sends). */
const deepJson = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

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

/** ppid and state of a process, from /proc (undefined: gone). */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses; the last ')' ends it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** Processes whose parent is `ppid` and whose command line matches. */
function childrenOf(ppid: number, match: (argv: string[]) => boolean): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (procStat(pid)?.ppid !== ppid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (match(argv)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `nft -j -f FILE.json`: a transaction (the listings run `-f FILE.nft`). */
const isNftLoad = (argv: string[]): boolean =>
  argv.some((a) => a.endsWith('/nft') || a === 'nft') &&
  argv.includes('-f') &&
  (argv.at(-1) ?? '').endsWith('.json');

/** Poll (without sleeping) until fn returns a value; for catching short-lived processes. */
async function spin<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
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
    let peer: Namespace;
    let dir: string;
    let helper: HelperProcess;

    beforeAll(async () => {
      await sweepStale('relia');
      ns = await net.namespace('h');
      peer = await net.namespace('a');
      await net.link(peer, ns, {
        aName: 'vra',
        bName: 'vrh',
        aAddresses: [`${PEER}/24`],
        bAddresses: [`${HOST}/24`],
      });
      dir = mkdtempSync(join(tmpdir(), 'tw-reliability-'));
    });

    /** Processes a test started on purpose (an orphan): ended after it, whatever happened. */
    const leftBehind: number[] = [];
    afterEach(async () => {
      await helper?.kill('SIGKILL');
      for (const pid of leftBehind.splice(0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended by the helper, as it should be
        }
      }
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

    /** The kernel's table in the namespace, as the helper's fingerprint sees it (null: absent). */
    const kernelTable = async (): Promise<string | null> => {
      const listing = await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'treewall']);
      if (listing.code !== 0) return null;
      return tableFingerprint(JSON.parse(listing.stdout) as NftJson);
    };

    for (const applySaved of [false, true]) {
      it(`kill -9 while nft loads an apply with a confirm timeout: the restarted helper${applySaved ? ' (--apply-saved)' : ''} rolls back at the deadline`, async () => {
        const h = await fresh(applySaved ? 'intent-saved' : 'intent');
        const client = await HelperClient.connect(h.socket);
        const confirmed = doc([
          rule('keep', { property: 'Dest port', value: '7111', action: 'Pass' }),
        ]);
        await client.call('apply', { document: confirmed });
        const confirmedTable = await kernelTable();
        expect(confirmedTable).not.toBeNull();

        // The unconfirmed apply: large enough that nft takes a while to load it.
        const unconfirmed = generateDocument(4000);
        // Room for a restart on a loaded machine (the helper must be back before the deadline).
        const timeoutSeconds = 40;
        const sent = Date.now();
        const applying = client.call('apply', {
          document: unconfirmed,
          confirmTimeoutSeconds: timeoutSeconds,
        });
        applying.catch(() => undefined); // the helper dies before it answers
        // Stop the helper the moment its `nft -j -f FILE` appears; let nft finish; kill -9.
        const nftPid = await spin('the nft load', () => childrenOf(h.pid, isNftLoad)[0], 30_000);
        process.kill(h.pid, 'SIGSTOP');
        await spin(
          'nft to finish',
          () => {
            const st = procStat(nftPid);
            return st === undefined || st.state === 'Z' ? true : undefined;
          },
          60_000,
        );
        process.kill(h.pid, 'SIGKILL');
        await h.exit;
        await client.close().catch(() => undefined);
        // nft finished its transaction: the unconfirmed rules are in force, nobody to roll back.
        const loaded = await kernelTable();
        expect(loaded).not.toBeNull();
        expect(loaded).not.toBe(confirmedTable);

        await h.start(applySaved ? ['--apply-saved'] : []);
        expect(h.log).toMatch(/a confirm is pending/);
        const again = await HelperClient.connect(h.socket);
        const status = await again.call('status', {});
        expect(status.pendingConfirm).not.toBeNull();
        const deadline = Date.parse(status.pendingConfirm!.deadline);
        // The deadline counts from the load's start (after the request was sent).
        expect(deadline).toBeGreaterThanOrEqual(sent + timeoutSeconds * 1000 - 1000);
        expect(deadline).toBeLessThanOrEqual(Date.now() + timeoutSeconds * 1000);
        // Until the deadline the unconfirmed rules stay (a confirm could still keep them).
        if (Date.now() < deadline - 1000) expect(await kernelTable()).toBe(loaded);
        // Then the kernel holds the confirmed rules again.
        await waitFor(
          'the rollback in the kernel',
          async () => ((await kernelTable()) === confirmedTable ? true : undefined),
          deadline - Date.now() + 30_000,
        );
        const landed = Date.now();
        expect(landed).toBeGreaterThanOrEqual(deadline);
        // The state follows once the restored rules are back in our own table.
        const after = await waitFor('the rollback in the status', async () => {
          const st = await again.call('status', {});
          return st.pendingConfirm === null ? st : undefined;
        });
        expect(after.lastError).toMatch(/rolled back/);
        expect((await again.call('showActive', { withText: false })).document).toEqual(confirmed);
        await again.close();
      }, 240_000);
    }

    it('a document accepted with the deepest extra reads back after kill -9: the pending rollback survives', async () => {
      const h = await fresh('readback');
      const client = await HelperClient.connect(h.socket);
      const confirmed = doc([
        rule('keep', { property: 'Dest port', value: '7111', action: 'Pass' }),
      ]);
      await client.call('apply', { document: confirmed });
      const confirmedTable = await kernelTable();
      // params(1) > document(2) > extra(3) > x(4) ... : the deepest the edge accepts, in the
      // document's extra and in a rule's.
      const deep = doc([
        rule('deep', {
          property: 'Dest port',
          value: '7222',
          action: 'Delete',
          extra: { x: JSON.parse(deepJson(MAX_NESTING - 5)) as never },
        }),
      ]);
      deep.extra = { x: JSON.parse(deepJson(MAX_NESTING - 3)) as never };
      const status = await client.call('apply', { document: deep, confirmTimeoutSeconds: 20 });
      const deadline = Date.parse(status.pendingConfirm!.deadline);
      await client.close();
      await h.kill('SIGKILL');
      await h.start();
      expect(h.log).toMatch(/a confirm is pending/);
      expect(readdirSync(h.stateDir).filter((f) => f.endsWith('.corrupt'))).toEqual([]);
      const again = await HelperClient.connect(h.socket);
      expect((await again.call('showActive', { withText: false })).document).toEqual(deep);
      await waitFor(
        'the rollback in the kernel',
        async () => ((await kernelTable()) === confirmedTable ? true : undefined),
        deadline - Date.now() + 30_000,
      );
      await waitFor('the rollback in the status', async () =>
        (await again.call('status', {})).pendingConfirm === null ? true : undefined,
      );
      await again.close();
    }, 60_000);

    it('a pending confirm it cannot read back stops the helper with a clear message (never started without the rollback)', async () => {
      const h = await fresh('unreadable');
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: doc([rule('keep', { action: 'Pass' })]) });
      const unconfirmed = doc([
        rule('new', { property: 'Dest port', value: '7333', action: 'Delete' }),
      ]);
      await client.call('apply', { document: unconfirmed, confirmTimeoutSeconds: 600 });
      await client.close();
      await h.kill('SIGKILL');
      const inForce = await kernelTable();
      const pendingFile = join(h.stateDir, 'pending.json');
      const written = readFileSync(pendingFile, 'utf8');
      const record = JSON.parse(written) as { restore: FirewallDocument };
      // What an older helper wrote (it accepted ~1,100 levels), and a file cut short.
      const deeper = JSON.stringify({
        ...record,
        restore: { ...record.restore, extra: { x: JSON.parse(deepJson(1100)) as unknown } },
      });
      for (const broken of [deeper, written.slice(0, written.length >> 1)]) {
        writeFileSync(pendingFile, broken);
        await expect(h.start()).rejects.toThrow(/pending\.json: cannot be read back/);
        expect((await h.exit)!.code).toBe(1);
        expect(h.log).toMatch(/does not start/);
        expect(h.log).toMatch(/nft delete table inet treewall/);
        // The file stays for the next start (and a person) to see; the kernel is untouched.
        expect(readFileSync(pendingFile, 'utf8')).toBe(broken);
        expect(await kernelTable()).toBe(inForce);
      }
      // Removing it is the way to keep the rules in force.
      rmSync(pendingFile);
      await h.start();
      expect(await kernelTable()).toBe(inForce);
    }, 60_000);

    it('--apply-saved with an active document it cannot read back does not start', async () => {
      const h = await fresh('unreadable-active');
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: doc([rule('keep', { action: 'Pass' })]) });
      await client.close();
      await h.kill('SIGKILL');
      const activeFile = join(h.stateDir, 'active.json');
      writeFileSync(activeFile, readFileSync(activeFile, 'utf8').slice(0, 40));
      await expect(h.start(['--apply-saved'])).rejects.toThrow(/active\.json: cannot be read back/);
      expect(existsSync(activeFile)).toBe(true);
    }, 60_000);

    /** tcpdumps reading our NFLOG group in network namespace `netns` (zombies hold nothing). */
    const readers = (netns: string): { pid: number; ppid: number }[] => {
      const found: { pid: number; ppid: number }[] = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const pid = Number(name);
        const st = procStat(pid);
        if (!st || st.state === 'Z') continue;
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (!/(^|\/)tcpdump$/.test(argv[0] ?? '') || !argv.includes(`nflog:${LOG_GROUP}`))
            continue;
          if (readlinkSync(`/proc/${pid}/ns/net`) !== netns) continue;
          found.push({ pid, ppid: st.ppid });
        } catch {
          // gone meanwhile
        }
      }
      return found;
    };
    const netnsOf = (pid: number): string => readlinkSync(`/proc/${pid}/ns/net`);

    const logDoc = (): FirewallDocument =>
      doc([rule('logicmp', { property: 'Protocol', value: 'icmp', action: 'Log' })]);

    /** Subscribe, ping the helper's namespace, and resolve with the Log rule's event. */
    const logsAPing = async (client: HelperClient): Promise<LogEventData> => {
      const events: LogEventData[] = [];
      client.on('log:event', (e) => events.push(e));
      const sub = await client.call('logSubscribe', {});
      expect(sub.reader).toBe('running');
      return waitFor('a log event', async () => {
        await peer.ping(HOST, { timeoutMs: 300 });
        return events.find((e) => e.ruleId === 'logicmp');
      });
    };

    it('kill -9 of the helper leaves no tcpdump behind, and the next helper logs', async () => {
      const h = await fresh('orphans');
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: logDoc() });
      await logsAPing(client);
      const netns = netnsOf(h.pid);
      expect(readers(netns)).toHaveLength(1);
      const before = readers(netns)[0]!;
      // Nothing more to log, and NFLOG's batch (flushed within a second) delivered: tcpdump
      // has nothing to write after the helper is gone (a write would end it by SIGPIPE).
      await client.call('apply', { document: doc([rule('quiet', { action: 'Pass' })]) });
      await new Promise((r) => setTimeout(r, 2000));
      await client.close();
      await h.kill('SIGKILL');
      // Nothing reads the group any more: no tcpdump with parent 1, nor any other.
      const left = async () => {
        const alive = [before.pid].filter((pid) => {
          const st = procStat(pid);
          return st !== undefined && st.state !== 'Z';
        });
        return alive.length === 0 ? true : undefined;
      };
      await waitFor('tcpdump to end with the helper', left, 5000).catch(() => {
        const st = procStat(before.pid);
        process.kill(before.pid, 'SIGKILL'); // ours: not left behind by the test either
        throw new Error(
          `tcpdump ${before.pid} outlived the helper (parent ${st?.ppid}, state ${st?.state})`,
        );
      });
      await h.start();
      const again = await HelperClient.connect(h.socket);
      await again.call('apply', { document: logDoc() });
      const event = await logsAPing(again);
      expect(event).toMatchObject({ protocol: 'icmp', src: PEER, dst: HOST });
      expect(readers(netns)).toHaveLength(1);
      expect(readers(netns).filter((r) => r.ppid === 1)).toEqual([]);
      await again.close();
    }, 60_000);

    it('a tcpdump an earlier helper left on the group is ended, and the new helper logs', async () => {
      const h = await fresh('recover');
      const netns = netnsOf(h.pid);
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: logDoc() });
      await client.close();
      await h.kill('SIGKILL');
      await waitFor('no reader', async () => (readers(netns).length === 0 ? true : undefined));
      // An orphan as an older helper (children not tied to it) left it: parent 1, group bound.
      await ns.sh(`tcpdump -i nflog:${LOG_GROUP} -U -w - >/dev/null 2>&1 </dev/null &`);
      const orphan = await waitFor('the orphan to hold the group', async () => {
        const found = readers(netns).filter((r) => r.ppid === 1);
        return found.length === 1 ? found[0]!.pid : undefined;
      });
      leftBehind.push(orphan);
      await h.start();
      const again = await HelperClient.connect(h.socket);
      expect(await logsAPing(again)).toMatchObject({ src: PEER });
      const st = procStat(orphan);
      expect(st === undefined || st.state === 'Z').toBe(true);
      await again.close();
    }, 60_000);

    it('loads the rollback ahead, gated, and switches to it at the deadline in one small transaction', async () => {
      const h = await fresh('early');
      const client = await HelperClient.connect(h.socket);
      const confirmed = doc([
        rule('keep', { property: 'Dest port', value: '7111', action: 'Pass' }),
      ]);
      await client.call('apply', { document: confirmed });
      const confirmedTable = await kernelTable();
      const pingOk = async () => (await peer.ping(HOST, { timeoutMs: 400 })).result === 'reply';
      const tables = async () => (await ns.nft(['list', 'tables'])).split('\n');
      const gate = async () =>
        (await ns.exec(['nft', 'list', 'chain', 'inet', 'treewall_rb', 'gate'])).stdout;
      const blocks = doc([
        rule('block', { property: 'Source net', value: PEER, action: 'Delete' }),
      ]);

      const status = await client.call('apply', { document: blocks, confirmTimeoutSeconds: 8 });
      const deadline = Date.parse(status.pendingConfirm!.deadline);
      // Prepared: the restore's table is loaded, its gate closed (one accept), so it changes
      // nothing: the unconfirmed rules are the ones in force.
      await waitFor('the prepared rollback', async () =>
        /accept/.test(await gate()) ? true : undefined,
      );
      expect(await tables()).toContain('table inet treewall_rb');
      expect(await pingOk()).toBe(false);
      // The deadline: the restored rules take over (not before), then move back into our
      // own table, and the prepared one is gone.
      await waitFor(
        'connectivity to come back',
        async () => ((await pingOk()) ? true : undefined),
        deadline - Date.now() + 20_000,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(deadline);
      await waitFor('the restored rules in our own table', async () =>
        (await kernelTable()) === confirmedTable &&
        !(await tables()).includes('table inet treewall_rb')
          ? true
          : undefined,
      );
      const after = await waitFor('the rollback in the status', async () => {
        const st = await client.call('status', {});
        return st.pendingConfirm === null ? st : undefined;
      });
      expect(after.lastError).toMatch(/rolled back/);

      // Confirmed in time: the prepared table goes, the confirmed rules stay.
      await client.call('apply', { document: blocks, confirmTimeoutSeconds: 600 });
      await waitFor('the prepared rollback', async () =>
        /accept/.test(await gate()) ? true : undefined,
      );
      await client.call('confirm', {});
      await waitFor('the prepared table to go', async () =>
        (await tables()).includes('table inet treewall_rb') ? undefined : true,
      );
      expect(await pingOk()).toBe(false);
      await client.close();
    }, 90_000);

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
