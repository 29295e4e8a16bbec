// Reliability of the helper as a process (issue 12): hostile lines, kill -9 at chosen moments,
// restarts. The helper runs unchanged inside a network namespace (`ip netns exec NS node
// bin/treewall.js helper ...`) and is killed and restarted for real; the kernel's table is read
// with nft in that namespace.
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect as netConnect } from 'node:net';
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
import { startHelper, type HelperProcess } from '../testing/treewall-processes.ts';

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

const isNft = (argv: string[]): boolean =>
  argv.some((a) => a.endsWith('/nft') || a === 'nft') && argv.includes('-f');

/** `nft -j -f FILE.json`: a transaction from a file (the listings run `-f FILE.nft`). */
const isNftFileLoad = (argv: string[]): boolean =>
  isNft(argv) && (argv.at(-1) ?? '').endsWith('.json');

/** `nft -j -f FIFO`: the next load's nft, started ahead, waiting for (or reading) its program. */
const isNftFifoLoad = (argv: string[]): boolean =>
  isNft(argv) && (argv.at(-1) ?? '').endsWith('.fifo');

/** Whether process `pid` has `file` open. */
function holds(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Bytes process `pid` has read with read() and the like (/proc/PID/io rchar); -1: gone. */
function bytesRead(pid: number): number {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? -1);
  } catch {
    return -1;
  }
}

/** The helper's nft started ahead for its next load (waiting in open() on its FIFO). */
async function nftAhead(helperPid: number): Promise<{ pid: number; fifo: string; read: number }> {
  return spin(
    'the nft started ahead',
    () => {
      const pid = childrenOf(helperPid, isNftFifoLoad)[0];
      if (pid === undefined) return undefined;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      // Its start-up reads are over once it waits in open() for the FIFO.
      const waiting = /fifo_open|wait_for_partner/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8'));
      return waiting ? { pid, fifo: argv.at(-1)!, read: bytesRead(pid) } : undefined;
    },
    30_000,
  );
}

/**
 * The moment an nft load of the helper's has all of its program: a load from a file has it as it
 * starts; the nft started ahead (`ahead`) once it has read from its FIFO and closed it again
 * (read to its end: the helper wrote the whole program and closed its side). Polled without
 * sleeping.
 */
async function nftWithItsProgram(
  helperPid: number,
  ahead: { pid: number; fifo: string; read: number } | undefined,
): Promise<number> {
  return spin(
    'an nft load with its whole program',
    () => {
      if (ahead && bytesRead(ahead.pid) > ahead.read && !holds(ahead.pid, ahead.fifo))
        return ahead.pid;
      return childrenOf(helperPid, isNftFileLoad)[0];
    },
    30_000,
  );
}

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

describe.skipIf(!kernelTestsAvailable)(
  `the helper as a process under hostile input and kill -9${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('relia');
    let ns: Namespace;
    let peer: Namespace;
    let helper: HelperProcess | undefined;
    /** The helper's own arguments; a restart may add some. */
    const base = ['--log-group', String(LOG_GROUP)];

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
    });

    /** Processes a test started on purpose (an orphan): ended after it, whatever happened. */
    const leftBehind: number[] = [];
    afterEach(async () => {
      await helper?.kill('SIGKILL');
      await helper?.stop();
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
    });

    /** A new helper in `ns`, with its own socket and state folder (the harness's). */
    const fresh = async (): Promise<HelperProcess> => {
      helper = await startHelper({ namespace: ns.name, args: base });
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
        const h = await fresh();
        const client = await HelperClient.connect(h.socket);
        const confirmed = doc([
          rule('keep', { property: 'Dest port', value: '7111', action: 'Pass' }),
        ]);
        await client.call('apply', { document: confirmed });
        const confirmedTable = await kernelTable();
        expect(confirmedTable).not.toBeNull();

        // The unconfirmed apply: large enough that nft takes a while to load it.
        const unconfirmed = generateDocument(4000);
        // Its nft, started ahead (the helper prepares the next load's nft after each change).
        const ahead = await nftAhead(h.pid);
        // Far enough that the restarted helper is surely back before it (a loaded machine); the
        // test then brings the deadline near through the state file (see deadlineIn).
        const timeoutSeconds = 600;
        const sent = Date.now();
        const applying = client.call('apply', {
          document: unconfirmed,
          confirmTimeoutSeconds: timeoutSeconds,
        });
        applying.catch(() => undefined); // the helper dies before it answers
        // Stop the helper the moment its nft has the whole program (`nft -j -f FILE` appears, or
        // the nft started ahead has read its FIFO to the end); let nft finish; kill -9.
        const nftPid = await nftWithItsProgram(h.pid, ahead);
        process.kill(h.pid, 'SIGSTOP');
        expect(nftPid).toBe(ahead.pid); // the load went to the nft started ahead
        await spin(
          'nft to finish',
          () => {
            const st = procStat(nftPid);
            return st === undefined || st.state === 'Z' ? true : undefined;
          },
          60_000,
        );
        process.kill(h.pid, 'SIGKILL');
        await h.exited();
        await client.close().catch(() => undefined);
        // nft finished its transaction: the unconfirmed rules are in force, nobody to roll back.
        const loaded = await kernelTable();
        expect(loaded).not.toBeNull();
        expect(loaded).not.toBe(confirmedTable);

        await h.restart(applySaved ? [...base, '--apply-saved'] : base);
        expect(h.output()).toMatch(/a confirm is pending/);
        const again = await HelperClient.connect(h.socket);
        const status = await again.call('status', {});
        expect(status.pendingConfirm).not.toBeNull();
        const deadline = Date.parse(status.pendingConfirm!.deadline);
        // The deadline counts from the load's start (after the request was sent).
        expect(deadline).toBeGreaterThanOrEqual(sent + timeoutSeconds * 1000 - 1000);
        expect(deadline).toBeLessThanOrEqual(Date.now() + timeoutSeconds * 1000);
        // Until the deadline the unconfirmed rules stay (a confirm could still keep them).
        expect(await kernelTable()).toBe(loaded);
        await again.close();
        // Waiting 600 s out proves nothing more: down again, the deadline 3 s away in its state,
        // and the helper restarted once more. Then the kernel holds the confirmed rules again,
        // not before the deadline.
        const near = await deadlineIn(h, applySaved ? [...base, '--apply-saved'] : base, 3000);
        await waitFor(
          'the rollback in the kernel',
          async () => ((await kernelTable()) === confirmedTable ? true : undefined),
          near - Date.now() + 30_000,
        );
        const landed = Date.now();
        expect(landed).toBeGreaterThanOrEqual(near);
        const after = await waitFor('the rollback in the status', async () => {
          const client = await h.connect();
          try {
            const st = await client.call('status', {});
            return st.pendingConfirm === null ? st : undefined;
          } finally {
            await client.close();
          }
        });
        expect(after.lastError).toMatch(/rolled back/);
        const last = await h.connect();
        expect((await last.call('showActive', { withText: false })).document).toEqual(confirmed);
        await last.close();
      }, 120_000);
    }

    it('kill -9 while the nft started ahead waits for its program: it ends with the helper, and nothing is loaded', async () => {
      const h = await fresh();
      const client = await HelperClient.connect(h.socket);
      const applied = doc([rule('keep', { property: 'Dest port', value: '7112', action: 'Pass' })]);
      await client.call('apply', { document: applied });
      const table = await kernelTable();
      expect(table).not.toBeNull();
      const ahead = await nftAhead(h.pid);
      await client.close();
      await h.kill('SIGKILL');
      await waitFor(
        'the waiting nft to end with the helper',
        async () => {
          const st = procStat(ahead.pid);
          return st === undefined || st.state === 'Z' ? true : undefined;
        },
        5000,
      ).catch(() => {
        const st = procStat(ahead.pid);
        leftBehind.push(ahead.pid);
        throw new Error(
          `nft ${ahead.pid} outlived the helper (parent ${st?.ppid}, state ${st?.state})`,
        );
      });
      // It had no program: the kernel holds what the last apply loaded; the restarted helper
      // knows that document and loads the next one (through its own nft started ahead).
      expect(await kernelTable()).toBe(table);
      await h.restart();
      const again = await HelperClient.connect(h.socket);
      const active = await again.call('showActive', { withText: false });
      expect(active.document).toEqual(applied);
      await again.call('apply', {
        document: doc([rule('next', { property: 'Dest port', value: '7113', action: 'Pass' })]),
      });
      const loaded = await kernelTable();
      expect(loaded).not.toBeNull();
      expect(loaded).not.toBe(table);
      await again.close();
    }, 60_000);

    /**
     * Kill the helper (its pending confirm stays in its state folder), move that confirm's deadline
     * to `ms` from now, and start it again: a test's way through a long deadline where the wait
     * itself is not the point. Returns the new deadline (epoch ms).
     */
    async function deadlineIn(h: HelperProcess, args: string[], ms: number): Promise<number> {
      await h.kill('SIGKILL');
      const file = join(h.stateDir, 'pending.json');
      const record = JSON.parse(readFileSync(file, 'utf8')) as { deadline: string };
      const deadline = Date.now() + ms;
      writeFileSync(
        file,
        JSON.stringify({ ...record, deadline: new Date(deadline).toISOString() }),
      );
      await h.restart(args);
      return deadline;
    }

    it('a document accepted with the deepest extra reads back after kill -9: the pending rollback survives', async () => {
      const h = await fresh();
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
      await client.call('apply', { document: deep, confirmTimeoutSeconds: 600 });
      await client.close();
      await h.kill('SIGKILL');
      await h.restart();
      expect(h.output()).toMatch(/a confirm is pending/);
      expect(readdirSync(h.stateDir).filter((f) => f.endsWith('.corrupt'))).toEqual([]);
      const again = await HelperClient.connect(h.socket);
      expect((await again.call('showActive', { withText: false })).document).toEqual(deep);
      await again.close();
      // The rollback it read back still lands (the deadline brought near: see deadlineIn).
      const near = await deadlineIn(h, base, 2000);
      await waitFor(
        'the rollback in the kernel',
        async () => ((await kernelTable()) === confirmedTable ? true : undefined),
        near - Date.now() + 30_000,
      );
      const last = await h.connect();
      await waitFor('the rollback in the status', async () =>
        (await last.call('status', {})).pendingConfirm === null ? true : undefined,
      );
      await last.close();
    }, 60_000);

    it('a pending confirm it cannot read back stops the helper with a clear message (never started without the rollback)', async () => {
      const h = await fresh();
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
        await expect(h.restart()).rejects.toThrow(/pending\.json: cannot be read back/);
        expect((await h.exited()).code).toBe(1);
        expect(h.output()).toMatch(/does not start/);
        expect(h.output()).toMatch(/nft delete table inet treewall/);
        // The file stays for the next start (and a person) to see; the kernel is untouched.
        expect(readFileSync(pendingFile, 'utf8')).toBe(broken);
        expect(await kernelTable()).toBe(inForce);
      }
      // Removing it is the way to keep the rules in force.
      rmSync(pendingFile);
      await h.restart();
      expect(await kernelTable()).toBe(inForce);
    }, 60_000);

    it('--apply-saved with an active document it cannot read back does not start', async () => {
      const h = await fresh();
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: doc([rule('keep', { action: 'Pass' })]) });
      await client.close();
      await h.kill('SIGKILL');
      const activeFile = join(h.stateDir, 'active.json');
      writeFileSync(activeFile, readFileSync(activeFile, 'utf8').slice(0, 40));
      await expect(h.restart([...base, '--apply-saved'])).rejects.toThrow(
        /active\.json: cannot be read back/,
      );
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

    /** Subscribe, ping the helper's namespace, and resolve with the Log rule's event (every
     * event the client receives goes into `events`). */
    const logsAPing = async (
      client: HelperClient,
      events: LogEventData[] = [],
    ): Promise<LogEventData> => {
      client.on('log:event', (e) => events.push(e));
      const sub = await client.call('logSubscribe', {});
      expect(sub.reader).toBe('running');
      return waitFor('a log event', async () => {
        await peer.ping(HOST, { timeoutMs: 300 });
        return events.find((e) => e.ruleId === 'logicmp');
      });
    };

    it('kill -9 of the helper leaves no tcpdump behind, and the next helper logs', async () => {
      const h = await fresh();
      const client = await HelperClient.connect(h.socket);
      await client.call('apply', { document: logDoc() });
      const events: LogEventData[] = [];
      await logsAPing(client, events);
      const netns = netnsOf(h.pid);
      expect(readers(netns)).toHaveLength(1);
      const before = readers(netns)[0]!;
      // Nothing more to log, and every logged ping delivered: tcpdump has nothing to write after
      // the helper is gone (a write would end it by SIGPIPE). NFLOG delivers a group's packets in
      // order, so once one last logged packet (UDP 7999, sent once) has arrived, all have.
      await client.call('apply', {
        document: doc([rule('marker', { property: 'Dest port', value: '7999', action: 'Log' })]),
      });
      await peer.udpSend(HOST, 7999);
      await waitFor('the last logged packet at the helper', async () =>
        events.some((e) => e.ruleId === 'marker') ? true : undefined,
      );
      await client.call('apply', { document: doc([rule('quiet', { action: 'Pass' })]) });
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
      await h.restart();
      const again = await HelperClient.connect(h.socket);
      await again.call('apply', { document: logDoc() });
      const event = await logsAPing(again);
      expect(event).toMatchObject({ protocol: 'icmp', src: PEER, dst: HOST });
      expect(readers(netns)).toHaveLength(1);
      expect(readers(netns).filter((r) => r.ppid === 1)).toEqual([]);
      await again.close();
    }, 60_000);

    it('a tcpdump an earlier helper left on the group is ended, and the new helper logs', async () => {
      const h = await fresh();
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
      await h.restart();
      const again = await HelperClient.connect(h.socket);
      expect(await logsAPing(again)).toMatchObject({ src: PEER });
      const st = procStat(orphan);
      expect(st === undefined || st.state === 'Z').toBe(true);
      await again.close();
    }, 60_000);

    it('loads the rollback ahead, gated, and switches to it at the deadline in one small transaction', async () => {
      const h = await fresh();
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
      const h = await fresh();
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
      expect(h.running()).toBe(true);
      expect(await bystander.call('status', {})).toMatchObject({ active: true, ruleCount: 1 });
      // A document nested as deep as allowed is accepted, and reads back after a restart.
      const allowed = doc([rule('r1', { action: 'Pass' })]);
      allowed.extra = { x: JSON.parse(deepJson(MAX_NESTING - 4)) as never };
      await bystander.call('apply', { document: allowed });
      await bystander.close();
    });
  },
);
