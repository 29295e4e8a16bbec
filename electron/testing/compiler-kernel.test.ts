// Runtime: vitest under plain Node, as root (skips honestly otherwise). The compiler's output in a
// real kernel, inside throw-away network namespaces (electron/testing/netns.ts):
// every golden case passes `nft -c` and loads and reads back; hostile names cannot touch another
// owner's table; applying twice replaces atomically; a failing apply leaves the previous table;
// and a few behaviours of DESIGN §3 with real packets (Exit group, Trigger + Include, Reject,
// verdict-map counters, Direction).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doc, GOLDEN_CASES, r } from '../../shared/compiler/golden/cases.ts';
import fc from 'fast-check';
import {
  compile,
  dynamicSetElements,
  readCounters,
  type CompileResult,
} from '../../shared/compiler/index.ts';
import { docsArb } from '../../shared/compiler/test-arbitraries.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { buildDefaultDocument } from '../../resources/default-document.ts';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  sweepStale,
  TestNet,
  type ExecResult,
  type Namespace,
} from './netns.ts';

type Ok = Extract<CompileResult, { ok: true }>;
const compiled = (d: FirewallDocument): Ok => {
  const result = compile(d);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.problems)}`);
  return result;
};

/** `nft [-c] -j -f FILE` in a namespace, from a private 0600 file; never throws. */
async function nftFile(ns: Namespace, document: unknown, check = false): Promise<ExecResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-comp-'));
  const file = join(dir, 'ruleset.json');
  try {
    writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
    return await ns.exec(['nft', ...(check ? ['-c'] : []), '-j', '-f', file], { allowFail: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function apply(ns: Namespace, d: FirewallDocument): Promise<Ok> {
  const result = compiled(d);
  const out = await nftFile(ns, result.nft);
  if (out.code !== 0) throw new Error(`apply failed: ${out.stderr}`);
  return result;
}

/** Capture the NFLOG group for `ms` while `traffic` runs; resolves with tcpdump's packet lines. */
function captureNflog(
  ns: Namespace,
  group: number,
  ms: number,
  traffic: () => Promise<void>,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seconds = String(Math.ceil(ms / 1000));
    const child = spawn(
      'ip',
      ['netns', 'exec', ns.name, 'timeout', seconds, 'tcpdump', '-i', `nflog:${group}`, '-n', '-l'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (!started && d.toString().includes('listening on')) {
        started = true;
        traffic().catch(reject);
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter((l) => l.includes(' IP '))));
  });
}

/** Generous on a loaded machine: a connection that should work must not time out by accident. */
const WAIT = { timeoutMs: 1000 };

const listTable = async (ns: Namespace): Promise<unknown> =>
  ns.nftJson(['list', 'table', 'inet', 'treewall']);

describe.skipIf(!kernelTestsAvailable)(
  `compiler output in the kernel ${kernelSkipReason ?? ''}`,
  () => {
    const net = new TestNet('comp');
    let client: Namespace;
    let host: Namespace;
    const CLIENT = '10.78.0.1';
    const HOST = '10.78.0.2';

    beforeAll(async () => {
      await sweepStale('comp');
      client = await net.namespace('client');
      host = await net.namespace('host');
      await net.link(client, host, {
        aName: 'eth0',
        bName: 'eth0',
        aAddresses: [`${CLIENT}/24`, 'fd78::1/64'],
        bAddresses: [`${HOST}/24`, 'fd78::2/64'],
      });
    });
    afterAll(async () => {
      await net.cleanup();
    });

    describe('golden cases', () => {
      for (const c of GOLDEN_CASES) {
        it(`${c.name}: passes nft -c, loads, and reads back every rule's counter`, async () => {
          const result = compiled(c.doc);
          const check = await nftFile(host, result.nft, true);
          expect(check.stderr).toBe('');
          expect(check.code).toBe(0);
          const load = await nftFile(host, result.nft);
          expect(load.stderr).toBe('');
          expect(load.code).toBe(0);
          const listing = await listTable(host);
          const counters = readCounters(listing, result.objects);
          expect(Object.keys(counters).sort()).toEqual(Object.keys(result.objects).sort());
          // Every chain the compiler declared is in the kernel.
          const chains = new Set(
            (listing as { nftables: { chain?: { name: string } }[] }).nftables
              .map((e) => e.chain?.name)
              .filter((n) => n !== undefined),
          );
          for (const o of Object.values(result.objects)) {
            for (const chain of o.chains) expect(chains.has(chain)).toBe(true);
          }
        });
      }
    });

    it('generated documents pass nft -c and load (seeded, 40 documents)', async () => {
      const docs = fc.sample(docsArb, { numRuns: 40, seed: 20261123 });
      for (const [i, d] of docs.entries()) {
        const result = compiled(d);
        const check = await nftFile(host, result.nft, true);
        const load = check.code === 0 ? await nftFile(host, result.nft) : check;
        if (load.code !== 0) {
          throw new Error(`generated document ${i} failed: ${load.stderr}\n${JSON.stringify(d)}`);
        }
        const counters = readCounters(await listTable(host), result.objects);
        expect(Object.keys(counters).length).toBe(Object.keys(result.objects).length);
      }
    });

    describe('ownership and transactions', () => {
      const hostile = GOLDEN_CASES.find((c) => c.name === 'hostile-names')!.doc;

      it('a rule named `"; flush ruleset; #` with newlines applies and another table is untouched', async () => {
        await host.loadNft(
          'table inet other {\n chain c {\n  type filter hook input priority 10; policy accept;\n  tcp dport 7 counter comment "theirs"\n }\n}\n',
        );
        const before = await host.nft(['list', 'table', 'inet', 'other']);
        const result = await apply(host, hostile);
        await apply(host, hostile);
        expect(await host.nft(['list', 'table', 'inet', 'other'])).toBe(before);
        const text = await host.nft(['list', 'table', 'inet', 'treewall']);
        expect(text).toContain('flush ruleset');
        expect(Object.keys(readCounters(await listTable(host), result.objects))).toHaveLength(2);
        const tables = await host.nft(['list', 'tables']);
        expect(tables).toContain('table inet other');
        expect(tables).toContain('table inet treewall');
        await host.nft(['delete', 'table', 'inet', 'other']);
      });

      it('applying twice replaces the table as a whole', async () => {
        await apply(
          host,
          doc([
            r('first', 'Dest port', '==', '1', 'Pass', [r('first-child', 'Any', '==', '', 'Log')]),
          ]),
        );
        await apply(host, doc([r('second', 'Dest port', '==', '2', 'Delete')]));
        const text = await host.nft(['list', 'table', 'inet', 'treewall']);
        expect(text).toContain('c_second');
        expect(text).not.toContain('c_first');
        expect(text).not.toContain('r_first');
      });

      it('a failing apply leaves the previous table in force', async () => {
        await apply(host, doc([r('keep', 'Dest port', '==', '1', 'Pass')]));
        const before = await host.nft(['list', 'table', 'inet', 'treewall']);
        const next = compiled(doc([r('gone', 'Dest port', '==', '2', 'Delete')]));
        // The kernel refuses a jump to a chain that does not exist: the whole file must fail.
        const broken = {
          nftables: [
            ...next.nft.nftables,
            {
              add: {
                rule: {
                  family: 'inet',
                  table: 'treewall',
                  chain: 'tw_in',
                  expr: [{ jump: { target: 'missing' } }],
                },
              },
            },
          ],
        };
        const out = await nftFile(host, broken);
        expect(out.code).not.toBe(0);
        expect(await host.nft(['list', 'table', 'inet', 'treewall'])).toBe(before);
      });
    });

    describe('behaviour with real packets (DESIGN §3)', () => {
      it('Exit group two levels down ends the group; testing goes on after it', async () => {
        const listeners = [await host.listenTcp(8022), await host.listenTcp(8023)];
        const result = await apply(
          host,
          doc([
            r('grp', 'Direction', '==', 'inbound', 'Group', [
              r('tcp', 'Protocol', '==', 'tcp', '->', [
                r('svc', 'Dest port', '==', '8022', '->', [
                  r('brk', 'Any', '==', '', 'Exit group'),
                ]),
              ]),
              r('rest', 'Protocol', '==', 'tcp', 'Delete no log'),
            ]),
            r('after', 'Dest port', '==', '8022', 'Pass'),
            // Not `Protocol tcp`: that would also delete the host's outbound SYN-ACKs.
            r('last', 'Dest port', '==', '8022-8023', 'Delete no log'),
          ]),
        );
        expect((await client.tcpConnect(HOST, 8022, WAIT)).result).toBe('connected');
        expect((await client.tcpConnect(HOST, 8023, WAIT)).result).toBe('timeout');
        const c = readCounters(await listTable(host), result.objects);
        expect(c.brk?.packets).toBeGreaterThan(0);
        expect(c.after?.packets).toBe(c.brk?.packets);
        expect(c.last?.packets).toBe(0);
        expect(c.rest?.packets).toBeGreaterThan(0); // only the 8023 attempts
        for (const l of listeners) await l.close();
      });

      it('grouped Exit group leaves (verdict maps) end the group at both depths', async () => {
        const ports = [8040, 8043, 8050, 8053, 8059];
        const listeners = await Promise.all(ports.map((p) => host.listenTcp(p)));
        const golden = GOLDEN_CASES.find((c) => c.name === 'exit-group-vmap')!;
        const result = await apply(host, golden.doc);
        expect(result.objects.deep8050?.elements).toHaveLength(1);
        // Listed ports break out of the group and pass by `after`; 8059 is deleted by `rest`.
        for (const p of [8040, 8043, 8050, 8053]) {
          expect((await client.tcpConnect(HOST, p, WAIT)).result).toBe('connected');
        }
        expect((await client.tcpConnect(HOST, 8059, WAIT)).result).toBe('timeout');
        const c = readCounters(await listTable(host), result.objects);
        expect(c.top8043?.packets).toBeGreaterThan(0);
        expect(c.deep8053?.packets).toBeGreaterThan(0);
        expect(c.deep8051?.packets).toBe(0);
        expect(c.rest?.packets).toBeGreaterThan(0);
        for (const l of listeners) await l.close();
      });

      it('Trigger bans the source; Include triggered deletes its next packets and refreshes the entry', async () => {
        // UDP, so no retransmission refreshes the entry behind the test's back.
        const echo = await host.listenUdp(8080, { echo: true });
        const result = await apply(
          host,
          doc([
            r('banned', 'Include', '==', 'triggered', 'Delete'),
            r('probe', 'Dest port', '==', '8023', 'Trigger', [], { parameter: '10 min' }),
          ]),
        );
        const ask = async (port: number): Promise<string> =>
          (await client.udpSend(HOST, port, { replyTimeoutMs: 1000 })).result;
        expect(await ask(8080)).toBe('reply');
        await ask(8023);
        const set = await host.nft(['list', 'set', 'inet', 'treewall', 't4_probe']);
        expect(set).toContain(CLIENT);
        expect(await ask(8080)).not.toBe('reply');
        // Each Trigger adds to the shared set (the ban) and to its own (which rule it was).
        expect(await host.nft(['list', 'set', 'inet', 'treewall', 'trig4'])).toContain(CLIENT);
        const expires = async (name = 't4_probe'): Promise<number> => {
          const s = await host.nft(['list', 'set', 'inet', 'treewall', name]);
          const m = /expires (?:(\d+)m)?(\d+)s(?:(\d+)ms)?/.exec(s);
          return m ? Number(m[1] ?? 0) * 60_000 + Number(m[2]) * 1000 + Number(m[3] ?? 0) : -1;
        };
        // After a pause, one more packet from the banned host refreshes the entry to 10 minutes.
        await new Promise((done) => setTimeout(done, 2_000));
        const aged = await expires();
        expect(aged).toBeGreaterThan(590_000);
        expect(aged).toBeLessThan(599_000);
        const agedShared = await expires('trig4');
        expect(agedShared).toBeGreaterThan(590_000);
        expect(agedShared).toBeLessThan(599_000);
        expect(await ask(8080)).not.toBe('reply');
        expect(await expires()).toBeGreaterThan(aged + 1_000);
        expect(await expires('trig4')).toBeGreaterThan(agedShared + 1_000);
        const c = readCounters(await listTable(host), result.objects);
        expect(c.probe?.packets).toBe(1);
        expect(c.banned?.packets).toBe(2);
        expect(result.objects.probe?.sets).toEqual(['t4_probe', 't6_probe']);
        await echo.close();
      });

      it('Delete logs to NFLOG unless a Dont log matched on the way; Delete no log never logs', async () => {
        await apply(
          host,
          doc([
            r('quiet', 'Dest port', '==', '8061', 'Delete', [
              r('shh', 'Any', '==', '', 'Dont log'),
            ]),
            r('loud', 'Dest port', '==', '8062', 'Delete'),
            r('silent', 'Dest port', '==', '8063', 'Delete no log'),
            r('seen', 'Dest port', '==', '8064', 'Pass', [r('note', 'Any', '==', '', 'Log')]),
          ]),
        );
        const lines = await captureNflog(host, 1729, 3000, async () => {
          for (const port of [8061, 8062, 8063, 8064])
            await client.udpSend(HOST, port, { replyTimeoutMs: 100 });
        });
        const ports = lines.map((l) => /> [\d.]+\.(\d+):/.exec(l)?.[1]).sort();
        expect(ports).toEqual(['8062', '8064']);
      });

      it('the default document: AUTH is refused at once, a telnet probe bans the prober (walk-through 2.1)', async () => {
        const d = buildDefaultDocument();
        const at = (number: string): Rule => {
          let rules = d.rules;
          let found: Rule | undefined;
          for (const part of number.split('.')) {
            found = rules[Number(part) - 1];
            rules = found?.children ?? [];
          }
          if (!found) throw new Error(`no rule ${number} in the default document`);
          return found;
        };
        const web = await host.listenTcp(8080);
        const result = await apply(host, d);
        expect((await client.tcpConnect(HOST, 8080, WAIT)).result).toBe('connected');
        expect((await client.tcpConnect(HOST, 113, WAIT)).result).toBe('reset');
        expect((await client.tcpConnect(HOST, 23, WAIT)).result).toBe('timeout');
        expect((await client.tcpConnect(HOST, 8080, WAIT)).result).toBe('timeout');
        const c = readCounters(await listTable(host), result.objects);
        expect(c[at('2.1.5.5').id]?.packets).toBeGreaterThan(0);
        expect(c[at('2.1.5.1').id]?.packets).toBeGreaterThan(0);
        expect(c[at('2.1.1').id]?.packets).toBeGreaterThan(0);
        await web.close();
      });

      it('an apply with keepElements keeps the banned addresses and their remaining time', async () => {
        const echo = await host.listenUdp(8080, { echo: true });
        const d = doc([
          r('banned', 'Include', '==', 'triggered', 'Delete no log'),
          r('probe', 'Dest port', '==', '8023', 'Trigger', [], { parameter: '10 min' }),
        ]);
        await apply(host, d);
        await client.udpSend(HOST, 8023, { replyTimeoutMs: 100 });
        expect((await client.udpSend(HOST, 8080, { replyTimeoutMs: 1000 })).result).not.toBe(
          'reply',
        );

        // A plain re-apply forgets the ban (the table is replaced) ...
        const kept = dynamicSetElements(await listTable(host));
        expect(Object.keys(kept).sort()).toEqual(['t4_probe', 'trig4']);
        await apply(host, d);
        expect((await client.udpSend(HOST, 8080, { replyTimeoutMs: 1000 })).result).toBe('reply');

        // ... and an apply that passes the old elements back keeps it.
        await client.udpSend(HOST, 8023, { replyTimeoutMs: 100 });
        const again = dynamicSetElements(await listTable(host));
        const next = compile(d, { keepElements: again });
        if (!next.ok) throw new Error('refused');
        expect((await nftFile(host, next.nft)).code).toBe(0);
        expect(await host.nft(['list', 'set', 'inet', 'treewall', 't4_probe'])).toMatch(
          /10\.78\.0\.1 expires 9m/,
        );
        expect(await host.nft(['list', 'set', 'inet', 'treewall', 'trig4'])).toMatch(
          /10\.78\.0\.1 timeout 10m expires 9m/,
        );
        expect((await client.udpSend(HOST, 8080, { replyTimeoutMs: 1000 })).result).not.toBe(
          'reply',
        );
        await echo.close();
      });

      it('Reject refuses a TCP connection at once; Delete lets it time out', async () => {
        const listeners = [await host.listenTcp(8024), await host.listenTcp(8025)];
        await apply(
          host,
          doc([
            r('rej', 'Dest port', '==', '8024', 'Reject'),
            r('del', 'Dest port', '==', '8025', 'Delete'),
          ]),
        );
        expect((await client.tcpConnect(HOST, 8024, WAIT)).result).toBe('reset');
        expect((await client.tcpConnect(HOST, 8025, WAIT)).result).toBe('timeout');
        for (const l of listeners) await l.close();
      });

      it('IP options == a list: every listed option must be present (Record route alone is not 7,20)', async () => {
        const result = await apply(
          host,
          doc([
            r('opts', 'IP options', '==', '7', '->', [
              r('opts-udp', 'Protocol', '==', 'udp', '->'),
            ]),
            r('both', 'IP options', '==', '7,20', '->'),
            r('after', 'Protocol', '==', 'udp', '->'),
          ]),
        );
        expect(await host.nft(['list', 'table', 'inet', 'treewall'])).toContain(
          'ip option rr exists ip option ra exists counter name "c_both"',
        );
        // One datagram without options, two with Record route (7), to a closed port on lo: each
        // crosses the output and then the input hook.
        await host.exec([
          'python3',
          '-c',
          [
            'import socket',
            's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
            "s.sendto(b'x', ('127.0.0.1', 9))",
            'o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
            'o.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 7, 4, 0, 0, 0, 0, 0]))',
            "o.sendto(b'y', ('127.0.0.1', 9))",
            "o.sendto(b'z', ('127.0.0.1', 9))",
          ].join('\n'),
        ]);
        const c = readCounters(await listTable(host), result.objects);
        expect(c['opts-udp']?.packets).toBe(4);
        expect(c.both?.packets).toBe(0);
        expect(c.after?.packets).toBe(6);
      });

      it('grouped service ports pass through one verdict map and count per rule', async () => {
        const ports = [8030, 8031, 8032, 8033, 8034];
        const listeners = await Promise.all([...ports, 8035].map((p) => host.listenTcp(p)));
        const result = await apply(
          host,
          doc([
            r('syn', 'TCP header flags', '==', 'syn,-ack', '->', [
              ...ports.map((p) => r(`svc${p}`, 'Dest port', '==', String(p), 'Pass')),
              r('others', 'Any', '==', '', 'Delete no log'),
            ]),
          ]),
        );
        expect(result.objects.svc8031?.elements).toHaveLength(1);
        expect((await client.tcpConnect(HOST, 8031, WAIT)).result).toBe('connected');
        expect((await client.tcpConnect(HOST, 8031, WAIT)).result).toBe('connected');
        expect((await client.tcpConnect(HOST, 8035, WAIT)).result).toBe('timeout');
        const c = readCounters(await listTable(host), result.objects);
        expect(c.svc8031?.packets).toBe(2);
        expect(c.svc8030?.packets).toBe(0);
        expect(c.others?.packets).toBeGreaterThan(0);
        for (const l of listeners) await l.close();
      });

      it('Direction outbound applies to what the host sends, Interface to the leaving interface', async () => {
        const remote = await client.listenTcp(9999);
        const result = await apply(
          host,
          doc([
            r('out', 'Direction', '==', 'outbound', '->', [
              r('out-eth0', 'Interface', '==', 'eth0', '->', [
                r('out-9999', 'Dest port', '==', '9999', 'Delete no log'),
              ]),
            ]),
          ]),
        );
        expect((await host.tcpConnect(CLIENT, 9999, WAIT)).result).toBe('timeout');
        expect((await client.tcpConnect(HOST, 9999, WAIT)).result).toBe('reset'); // inbound untouched
        const c = readCounters(await listTable(host), result.objects);
        expect(c['out-9999']?.packets).toBeGreaterThan(0);
        await remote.close();
      });
    });
  },
);
