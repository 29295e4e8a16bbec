// Runtime: vitest, root only. DESIGN §3 with real packets: each case pins the expected behaviour
// explicitly, and then requires the kernel (compiled rules in a namespace) and the reference
// evaluator to agree on every packet's fate, every rule's counter and, where it matters, every
// NFLOG event (read with tcpdump on nflog:1729, prefixes mapped back to rules).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDefaultDocument } from '../../resources/default-document.ts';
import { GROUP_DISPATCH_DOC } from '../../shared/compiler/golden/cases.ts';
import { compile, DEFAULT_LOG_GROUP, readCounters } from '../../shared/compiler/index.ts';
import {
  createState,
  evaluate,
  parsePacketSpec,
  type Packet,
} from '../../shared/evaluator/index.ts';
import { doc, rule } from '../../shared/evaluator/test-rules.ts';
import { findById } from '../../shared/model/tree.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { DataPlane, dataPlaneSkipReason } from './dataplane.ts';
import { runCase, type CaseResult } from './differential.ts';
import { sweepStale, TestNet } from './netns.ts';
import { NflogCapture, type NflogEvent } from './nflog.ts';
import { predict, type Prediction } from './oracle.ts';

const pkt = (spec: string): Packet => {
  const r = parsePacketSpec(spec);
  if (!r.ok) throw new Error(`${spec}: ${r.error}`);
  return r.value;
};

describe.skipIf(dataPlaneSkipReason !== undefined)(
  `DESIGN §3 in the kernel ${dataPlaneSkipReason ?? ''}`,
  () => {
    const net = new TestNet('evalsem');
    let dp: DataPlane;
    beforeAll(async () => {
      await sweepStale('evalsem');
      dp = await DataPlane.create(net);
    });
    afterAll(() => net.cleanup());

    /** Kernel and evaluator agree on fates and counters (and NFLOG events with `logs`). */
    async function agree(
      d: FirewallDocument,
      packets: Packet[],
      options: { logs?: boolean } = {},
    ): Promise<Prediction> {
      const capture = options.logs ? await NflogCapture.start(dp.fw, DEFAULT_LOG_GROUP) : undefined;
      let result: CaseResult;
      let events: NflogEvent[] | undefined;
      try {
        result = await runCase(dp, d, packets);
      } finally {
        // Always end tcpdump, even when the case throws.
        events = await capture?.stop();
      }
      expect(result.refused).toBeUndefined();
      expect(result.disagreements).toEqual([]);
      const prediction = predict(d, packets);
      if (events) {
        const compiled = compile(d);
        if (!compiled.ok) throw new Error('compile failed');
        const byKey = new Map(Object.entries(compiled.objects).map(([id, o]) => [o.key, id]));
        const kernelLogs = events.map((e) => byKey.get(e.prefix) ?? `?${e.prefix}`);
        const predictedLogs = prediction.packets.flatMap((p) =>
          [p.evaluation, ...p.replies.map((r) => r.evaluation)].flatMap((e) => e.logEvents),
        );
        expect(kernelLogs).toEqual(predictedLogs);
      }
      return prediction;
    }
    const delivered = (p: Prediction) => p.packets.map((x) => x.delivered);
    const replied = (p: Prediction) => p.packets.map((x) => x.replied);

    it('§3.2 a disabled parent skips its enabled children', async () => {
      const d = doc([
        rule('Dest port', '22', '->', [rule('Any', '', 'Delete', [], { id: 'child' })], {
          id: 'parent',
          enabled: false,
        }),
        rule('Dest port', '23', 'Delete', [], { id: 'd23' }),
      ]);
      const p = await agree(d, [
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:22 flags syn'),
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:23 flags syn'),
      ]);
      expect(delivered(p)).toEqual([true, false]);
      expect(p.counters).toEqual({ d23: { packets: 1, bytes: 40 } });
    });

    it('§3.5 a Delete with a Dont log child deletes silently; a plain Delete logs', async () => {
      const d = doc([
        rule('Dest port', '137-139', 'Delete', [rule('Any', '', 'Dont log', [], { id: 'quiet' })], {
          id: 'netbios',
        }),
        rule('Dest port', '445', 'Delete', [], { id: 'smb' }),
      ]);
      const p = await agree(
        d,
        [
          pkt('in eth0 udp 10.70.0.1:137 > 10.60.0.1:137'),
          pkt('in eth0 udp 10.70.0.1:1000 > 10.60.0.1:445'),
        ],
        { logs: true },
      );
      expect(delivered(p)).toEqual([false, false]);
      expect(p.packets.map((x) => x.evaluation.logEvents)).toEqual([[], ['smb']]);
    });

    it("§3.4 a Delete's Pass children rescue nothing: the verdict is fixed before they are walked", async () => {
      const d = doc([
        rule(
          'Protocol',
          'tcp',
          'Delete',
          [
            rule('Dest port', '22', 'Pass', [], { id: 'ssh' }),
            rule('Dest port', '80', 'Pass', [], { id: 'web' }),
          ],
          { id: 'tcp' },
        ),
      ]);
      const p = await agree(d, [
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:22 flags syn'),
        pkt('in eth1 tcp 10.71.0.1:40000 > 10.60.0.1:80 flags syn'),
        pkt('in eth0 tcp [fd70::1]:40000 > [fd60::1]:443 flags syn'),
        pkt('in eth0 udp 10.70.0.1:40000 > 10.60.0.1:53'),
      ]);
      expect(delivered(p)).toEqual([false, false, false, true]);
    });

    it('§3.8 Trigger bans the source: its next packets are deleted, other hosts are not', async () => {
      const d = doc([
        rule('Include', 'triggered', 'Delete', [], { id: 'banned' }),
        rule('Dest port', '23', 'Trigger', [], { id: 'telnet', parameter: '10 min' }),
      ]);
      const p = await agree(
        d,
        [
          pkt('in eth0 tcp 10.70.0.5:40000 > 10.60.0.1:80 flags syn'),
          pkt('in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:23 flags syn'),
          pkt('in eth0 tcp 10.70.0.5:40002 > 10.60.0.1:80 flags syn'),
          pkt('in eth0 udp 10.70.0.5:53 > 10.60.0.2:53'),
          pkt('in eth0 tcp 10.70.0.6:40000 > 10.60.0.1:80 flags syn'),
          pkt('in eth1 tcp [fd70:0:0:1::5]:40001 > [fd60::1]:23 flags syn'),
          pkt('in eth1 tcp [fd70:0:0:1::5]:40001 > [fd60::1]:80 flags syn'),
        ],
        { logs: true },
      );
      expect(delivered(p)).toEqual([true, false, false, false, true, false, false]);
      const compiled = compile(d);
      if (!compiled.ok) throw new Error('compile');
      const set = JSON.stringify(
        await dp.fw.nftJson([
          'list',
          'set',
          'inet',
          'treewall',
          compiled.objects.telnet!.sets![0]!,
        ]),
      );
      expect(set).toContain('10.70.0.5');
      expect(set).not.toContain('10.70.0.6');
    });

    it('§3.8 an Include == triggered test refreshes the ban (expiry counts from the last time seen)', async () => {
      const d = doc([
        rule('Include', 'triggered', 'Delete', [], { id: 'banned' }),
        rule('Dest port', '23', 'Trigger', [], { id: 'telnet', parameter: '1 min' }),
      ]);
      const compiled = compile(d);
      if (!compiled.ok) throw new Error('compile');
      const set = compiled.objects.telnet!.sets![0]!;
      const expiresOf = async (): Promise<number> => {
        const listing = JSON.stringify(
          await dp.fw.nftJson(['list', 'set', 'inet', 'treewall', set]),
        );
        const m = /"expires":\s*(\d+)/.exec(listing);
        if (!m) throw new Error(`no expiry in ${listing}`);
        return Number(m[1]);
      };
      await dp.fw.loadNft(compiled.nft);
      await dp.send([pkt('in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:23 flags syn')]);
      // Let the 60 s entry age a few seconds, so a refresh visibly pushes its expiry back.
      await new Promise((r) => setTimeout(r, 3200));
      const before = await expiresOf();
      // The evaluator says the next packet refreshes the entry.
      const first = evaluate(
        d,
        pkt('in eth0 tcp 10.70.0.5:40001 > 10.60.0.1:23 flags syn'),
        createState(0),
      );
      const seen = evaluate(d, pkt('in eth0 tcp 10.70.0.5:40002 > 10.60.0.1:80 flags syn'), {
        ...first.state,
        now: 2,
      });
      expect(seen.stateChanges.refreshed.map((r) => r.address)).toEqual(['10.70.0.5']);
      expect(seen.state.tables.triggered['10.70.0.5']?.expires).toBe(62);
      const [fate] = await dp.send([pkt('in eth0 tcp 10.70.0.5:40002 > 10.60.0.1:80 flags syn')]);
      expect(fate?.delivered).toBe(false);
      const after = await expiresOf();
      expect(before).toBeLessThanOrEqual(57);
      expect(after).toBeGreaterThan(before);
    });

    it('§3.7 Reject refuses a TCP connection at once (reset), Delete lets it time out', async () => {
      const d = doc([
        rule('Dest port', '113', 'Reject', [], { id: 'auth' }),
        rule('Dest port', '114', 'Delete', [], { id: 'drop' }),
      ]);
      const compiled = compile(d);
      if (!compiled.ok) throw new Error('compile');
      await dp.fw.loadNft(compiled.nft);
      await dp.pauseObserver();
      const listeners = [
        await dp.fw.listenTcp(113),
        await dp.fw.listenTcp(114),
        await dp.fw.listenTcp(2222),
      ];
      let results: string[];
      try {
        // A refusal or a connection answers at once (well within 2 s); the dropped SYN waits out
        // 700 ms, before TCP's first retransmission (1 s), so exactly one SYN is counted.
        const refused = await dp.peer.tcpConnect('10.50.0.1', 113, { timeoutMs: 2000 });
        const dropped = await dp.peer.tcpConnect('10.50.0.1', 114, { timeoutMs: 700 });
        const open = await dp.peer.tcpConnect('10.50.0.1', 2222, { timeoutMs: 2000 });
        const refused6 = await dp.peer.tcpConnect('fd50::1', 113, { timeoutMs: 2000 });
        results = [refused.result, dropped.result, open.result, refused6.result];
      } finally {
        for (const l of listeners) await l.close();
        await dp.resumeObserver();
      }
      expect(results).toEqual(['reset', 'timeout', 'connected', 'reset']);
      // Counters: the SYNs the evaluator says match (the reset leaving has source port 113).
      const counters = await dp.fw.nftJson(['list', 'table', 'inet', 'treewall']);
      const kernel = readCounters(counters, compiled.objects);
      const syns = [
        'in eth0 tcp 10.50.0.2:40000 > 10.50.0.1:113 flags syn',
        'in eth0 tcp 10.50.0.2:40001 > 10.50.0.1:114 flags syn',
        'in eth0 tcp [fd50::2]:40000 > [fd50::1]:113 flags syn',
      ];
      const predicted = predict(d, syns.map(pkt)).counters;
      expect(kernel.auth?.packets).toBe(predicted.auth?.packets);
      expect(kernel.drop?.packets).toBe(predicted.drop?.packets);
    });

    it('§3.9 inbound and outbound: Direction and Interface pick the traffic they name', async () => {
      const d = doc([
        rule(
          'Direction',
          'inbound',
          '->',
          [
            rule('Dest port', '80', 'Delete', [], { id: 'in80' }),
            rule('Interface', 'eth1', 'Reject', [], { id: 'ineth1' }),
          ],
          { id: 'in' },
        ),
        rule(
          'Direction',
          'outbound',
          '->',
          [
            rule('Dest port', '25', 'Reject', [], { id: 'out25' }),
            rule('Interface', 'eth1', 'Delete', [], { id: 'outeth1' }),
          ],
          { id: 'out' },
        ),
      ]);
      const p = await agree(d, [
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:80 flags syn'),
        pkt('out eth0 tcp 10.60.0.1:40000 > 10.70.0.1:80 flags syn'),
        pkt('out eth0 tcp 10.60.0.1:40000 > 10.70.0.1:25 flags syn'),
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:25 flags syn'),
        pkt('in eth1 udp 10.71.0.1:40000 > 10.60.0.1:53'),
        pkt('out eth1 udp 10.60.0.1:40000 > 10.71.0.1:53'),
        pkt('out eth1 udp [fd60::1]:40000 > [fd70:0:0:1::1]:53'),
      ]);
      expect(delivered(p)).toEqual([false, true, false, true, false, false, false]);
      // The unreachable answering packet 5 leaves by eth1, where the outbound rule 2.2 deletes it.
      expect(replied(p)).toEqual([false, false, true, false, false, false, false]);
    });

    it('§3.9 a routed packet is tested inbound on arrival, then outbound on departure', async () => {
      const d = doc([
        rule(
          'Direction',
          'inbound',
          '->',
          [
            rule('Dest port', '80', 'Delete', [], { id: 'in80' }),
            rule('Dest port', '113', 'Reject', [], { id: 'in113' }),
          ],
          { id: 'in' },
        ),
        rule(
          'Direction',
          'outbound',
          '->',
          [rule('Dest port', '22', 'Delete', [], { id: 'out22' })],
          { id: 'out' },
        ),
      ]);
      const p = await agree(d, [
        pkt('routed eth0 eth1 tcp 10.70.0.1:40000 > 10.71.0.5:80 flags syn'),
        pkt('routed eth0 eth1 tcp 10.70.0.1:40000 > 10.71.0.5:22 flags syn'),
        pkt('routed eth0 eth1 tcp 10.70.0.1:40000 > 10.71.0.5:113 flags syn'),
        pkt('routed eth1 eth0 udp [fd70:0:0:1::3]:5000 > [fd70::9]:22'),
        pkt('out eth1 tcp 10.60.0.1:40000 > 10.71.0.5:22 flags syn'),
      ]);
      // Packets 2 and 4 pass the inbound program and are deleted by the outbound one (out22).
      expect(delivered(p)).toEqual([false, false, false, false, false]);
      expect(replied(p)).toEqual([false, false, true, false, false]);
    });

    it('§3.10 Exit group leaves the group with no verdict; testing goes on after it', async () => {
      const d = doc([
        rule(
          'Protocol',
          'tcp',
          'Group',
          [
            rule('Dest port', '22', 'Exit group', [], { id: 'brk' }),
            rule('Any', '', 'Delete', [], { id: 'rest' }),
          ],
          { id: 'grp' },
        ),
        rule('Dest port', '22', 'Reject', [], { id: 'after' }),
      ]);
      const p = await agree(d, [
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:22 flags syn'),
        pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:80 flags syn'),
        pkt('in eth0 udp 10.70.0.1:40000 > 10.60.0.1:22'),
      ]);
      expect(delivered(p)).toEqual([false, false, false]);
      expect(p.packets.map((x) => x.evaluation.verdictRuleId)).toEqual(['after', 'rest', 'after']);
    });

    it('§3.3 sibling groups dispatched through one map keep first-match order, breaks and Dont log', async () => {
      // The golden case group-dispatch-vmap: sites s1..s6 on disjoint networks are one map lookup
      // per family (`: jump r_s2`, ...); `after` and `last` see what the dispatch lets through.
      const compiled = compile(GROUP_DISPATCH_DOC);
      if (!compiled.ok) throw new Error('compile failed');
      expect(compiled.objects.s2?.elements?.map((e) => e.map)).toEqual(['m_s1_4']);
      expect(compiled.objects.s2?.counter).toBeUndefined();
      const p = await agree(
        GROUP_DISPATCH_DOC,
        [
          pkt('in eth0 tcp 10.70.0.1:40000 > 10.60.0.20:22 flags syn'), // 2nd group: its Pass child counts, its Delete stands
          pkt('in eth0 tcp 10.70.0.1:40001 > 10.60.0.20:25 flags syn'), // 2nd group: its own Delete
          pkt('in eth0 tcp 10.70.0.1:40002 > 10.60.0.20:23 flags syn'), // ... after a Dont log
          pkt('in eth0 tcp 10.70.0.1:40003 > 10.60.0.100:8080 flags syn'), // no group: `after`
          pkt('in eth0 tcp 10.70.0.1:40004 > 10.60.0.36:443 flags syn'), // s3 exits: `last`
          pkt('in eth0 tcp 10.70.0.1:40005 > 10.60.0.50:8080 flags syn'), // break ends `sites`
          pkt('in eth0 tcp 10.70.0.1:40006 > 10.60.0.50:9999 flags syn'), // s4's Reject
          pkt('in eth0 tcp [fd70::1]:40007 > [fd60::5]:80 flags syn'), // the IPv6 map
          pkt('routed eth0 eth1 udp 10.70.0.1:40008 > 10.71.0.5:53'), // a leaf of the run, forwarded
          pkt('in eth0 tcp 10.70.0.1:40009 > 10.60.0.5:80 flags syn'), // 1st group
          pkt('in eth0 tcp 10.70.0.1:40010 > 10.60.0.5:8080 flags syn'), // 1st group's Delete
        ],
        { logs: true },
      );
      expect(delivered(p)).toEqual([
        false,
        false,
        false,
        false,
        false,
        true,
        false,
        true,
        true,
        true,
        false,
      ]);
      expect(replied(p)).toEqual([
        false,
        false,
        false,
        false,
        false,
        false,
        true,
        false,
        false,
        false,
        false,
      ]);
      expect(p.packets.map((x) => x.evaluation.logEvents)).toEqual([
        ['s2'],
        ['s2'],
        [],
        ['after'],
        ['last'],
        [],
        ['s4-rest'],
        [],
        [],
        [],
        ['s1-rest'],
      ]);
      const packets = Object.fromEntries(
        Object.entries(p.counters).map(([id, c]) => [id, c.packets]),
      );
      expect(packets).toEqual({
        sites: 11,
        s1: 2,
        's1-web': 1,
        's1-rest': 1,
        s2: 3,
        's2-ssh': 1,
        's2-quiet': 1,
        s3: 1,
        's3-exit': 1,
        s4: 2,
        's4-tcp': 2,
        's4-exit': 1,
        's4-rest': 1,
        s5: 1,
        's5-web': 1,
        s6: 1,
        after: 1,
        last: 1,
      });
    });

    describe('the default document, as the walk-through describes it', () => {
      const find = (rules: Rule[], id: string): Rule => {
        const rule = findById(rules, id);
        if (!rule) throw new Error(`no rule ${id}`);
        return rule;
      };
      /** Factory default with 2.6 Protect servers on (eth0 external) and its SSH service enabled. */
      const defaults = (): FirewallDocument => {
        const d = buildDefaultDocument();
        d.settings.externalInterfaces = ['eth0'];
        find(d.rules, 'd-2-6').enabled = true;
        const ssh = find(d.rules, 'd-2-6-1-1').children.find((r) => r.name.includes('SSH'));
        if (!ssh) throw new Error('no SSH service rule');
        ssh.enabled = true;
        return d;
      };

      it('2.1 bans probers silently, refuses AUTH, drops NetBIOS quietly; 2.4 logs pings; 2.6 protects servers', async () => {
        const packets = [
          'in eth0 tcp 10.70.0.9:40000 > 10.60.0.1:22 flags syn', // 2.6: SSH enabled: Exit group, passes
          'in eth0 tcp 10.70.0.9:40001 > 10.60.0.1:80 flags syn', // 2.6.1.1.17 deletes other connection requests
          'in eth0 tcp 10.70.0.9:40001 > 10.60.0.1:80 flags ack', // not a connection request: passes
          'in eth1 tcp 10.71.0.9:40001 > 10.60.0.1:80 flags syn', // eth1 is not external: passes
          'in eth0 tcp 10.70.0.7:40000 > 10.60.0.1:23 flags syn', // 2.1.5.1 Telnet probe: Trigger (logged, Alert)
          'in eth0 tcp 10.70.0.7:40001 > 10.60.0.1:22 flags syn', // 2.1.1 banned: deleted silently
          'in eth0 tcp 10.70.0.8:40000 > 10.60.0.1:113 flags syn', // 2.1.5.5 AUTH: reset at once (Alert)
          'in eth0 udp 10.70.0.8:137 > 10.60.0.1:137', // 2.1.6.3 NetBIOS: deleted, not logged
          'in eth0 udp 10.70.0.8:5353 > 10.60.0.1:53', // host not banned by 137: passes
          'in eth0 icmp 10.70.0.8 > 10.60.0.1 type echo-request', // 2.4.1.3.3: logged, passes
          'in eth0 icmp 10.70.0.8 > 10.60.0.1 type echo-reply', // not logged
          'out eth0 tcp 10.60.0.1:40000 > 10.70.0.9:23 flags syn', // 2.1 is inbound only
          'in eth0 tcp [fd70::7]:40000 > [fd60::1]:25 flags syn', // IPv6 SMTP probe: Trigger
          'in eth0 tcp [fd70::7]:40001 > [fd60::1]:22 flags syn', // banned
        ].map(pkt);
        const p = await agree(defaults(), packets, { logs: true });
        expect(delivered(p)).toEqual([
          true,
          false,
          true,
          true,
          false,
          false,
          false,
          false,
          true,
          true,
          true,
          true,
          false,
          false,
        ]);
        expect(replied(p)).toEqual([
          false,
          false,
          false,
          false,
          false,
          false,
          true,
          false,
          false,
          false,
          false,
          false,
          false,
          false,
        ]);
        const by = p.packets.map((x) => x.evaluation.verdictRuleId ?? 'default');
        expect(by[1]).toBe('d-2-6-1-1-17');
        expect(by[4]).toBe('d-2-1-5-1');
        expect(by[5]).toBe('d-2-1-1');
        expect(by[6]).toBe('d-2-1-5-5');
        expect(by[7]).toBe('d-2-1-6-3');
        expect(p.packets[5]!.evaluation.logEvents).toEqual([]);
        expect(p.packets[7]!.evaluation.logEvents).toEqual([]);
        expect(p.packets[9]!.evaluation.logEvents).toEqual(['d-2-4-1-3-3']);
      });
    });
  },
);
