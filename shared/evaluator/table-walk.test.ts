// Runtime: vitest (pure). The table-walk oracle on DESIGN §3's points: each scenario's verdict,
// counters and log events as the facts say, and the reference evaluator agreeing with it. (The
// random agreement of the two over thousands of trees is electron/testing/oracles-agree.test.ts.)
import { describe, expect, it } from 'vitest';
import type { FirewallDocument } from '../model/types.ts';
import { createState, evaluate, type EvaluatorState, type Packet } from './index.ts';
import { flattenTable, tableWalk } from './table-walk.ts';
import { doc, pkt, rule } from './test-rules.ts';

const SSH = pkt('in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn');
const WEB = pkt('in eth0 tcp 10.0.0.5:40001 > 10.0.0.1:80 flags syn');
const ICMP = pkt('in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8');

/** Judge a sequence with both oracles; they must agree packet by packet. */
function both(d: FirewallDocument, packets: Packet[], start: EvaluatorState = createState(0)) {
  let a = start;
  let b = start;
  const out: { verdict: string; by?: string; matched: string[]; logEvents: string[] }[] = [];
  for (const p of packets) {
    const e = evaluate(d, p, a);
    const t = tableWalk(d, p, b);
    expect(
      { verdict: t.verdict, by: t.verdictRuleId, matched: t.matched, logEvents: t.logEvents },
      `table walk vs evaluator on ${JSON.stringify(p)}`,
    ).toEqual({
      verdict: e.verdict,
      by: e.verdictRuleId,
      matched: e.matched,
      logEvents: e.logEvents,
    });
    expect(t.state).toEqual(e.state);
    a = e.state;
    b = t.state;
    const r: (typeof out)[number] = {
      verdict: t.verdict,
      matched: t.matched,
      logEvents: t.logEvents,
    };
    if (t.verdictRuleId !== undefined) r.by = t.verdictRuleId;
    out.push(r);
  }
  return out;
}

describe('the table', () => {
  it('is the tree in outline order with parents and subtree sizes', () => {
    const t = flattenTable([
      rule(
        'Any',
        '',
        '->',
        [rule('Any', '', 'Log', [rule('Any', '', 'Pass')]), rule('Any', '', 'Pass')],
        {
          id: 'a',
        },
      ),
      rule('Any', '', 'Delete', [], { id: 'b' }),
    ]);
    expect(t.map((e) => [e.parent, e.nodeCount])).toEqual([
      [-1, 4],
      [0, 2],
      [1, 1],
      [0, 1],
      [-1, 1],
    ]);
  });
});

describe('table walk', () => {
  it('a terminating rule fixes the verdict, then its children run for side effects only', () => {
    const d = doc([
      rule(
        'Any',
        '',
        'Delete',
        [
          rule('Dest port', '22', 'Pass', [], { id: 'pass' }),
          rule('Any', '', 'Log', [], { id: 'log' }),
        ],
        { id: 'del' },
      ),
    ]);
    expect(both(d, [SSH, WEB])).toEqual([
      { verdict: 'delete', by: 'del', matched: ['del', 'pass'], logEvents: ['del'] },
      { verdict: 'delete', by: 'del', matched: ['del', 'log'], logEvents: ['log', 'del'] },
    ]);
  });

  it('a Trigger under a Pass records; Dont log and Alert under a Delete silence it', () => {
    const d = doc([
      rule('Dest port', '22', 'Pass', [rule('Any', '', 'Trigger', [], { id: 't' })], { id: 'p' }),
      rule('Include', 'triggered', 'Delete', [rule('Any', '', 'Alert', [], { id: 'al' })], {
        id: 'ban',
      }),
      rule('Any', '', 'Delete', [rule('Any', '', 'Dont log', [], { id: 'q' })], { id: 'rest' }),
    ]);
    expect(both(d, [SSH, WEB, ICMP])).toEqual([
      { verdict: 'pass', by: 'p', matched: ['p', 't'], logEvents: [] },
      { verdict: 'delete', by: 'ban', matched: ['ban', 'al'], logEvents: ['al'] },
      { verdict: 'delete', by: 'ban', matched: ['ban', 'al'], logEvents: ['al'] },
    ]);
    const other = pkt('in eth0 udp 10.0.0.9:1 > 10.0.0.1:2');
    expect(both(d, [other])[0]).toEqual({
      verdict: 'delete',
      by: 'rest',
      matched: ['rest', 'q'],
      logEvents: [],
    });
  });

  it('Exit group jumps past its Group; its children never run; ++ skips the next entry', () => {
    const d = doc([
      rule(
        'Any',
        '',
        'Group',
        [
          rule('Dest port', '22', 'Exit group', [rule('Any', '', 'Delete', [], { id: 'never' })], {
            id: 'x',
          }),
          rule('Any', '', 'Reject', [], { id: 'rj' }),
        ],
        { id: 'g' },
      ),
      rule('Dest port', '22', '++', [], { id: 'skip' }),
      rule('Any', '', 'Delete', [], { id: 'skipped' }),
      rule('Any', '', 'Drop connection', [], { id: 'dc' }),
    ]);
    expect(both(d, [SSH, WEB])).toEqual([
      {
        verdict: 'drop connection',
        by: 'dc',
        matched: ['g', 'x', 'skip', 'dc'],
        logEvents: ['dc'],
      },
      { verdict: 'reject', by: 'rj', matched: ['g', 'rj'], logEvents: ['rj'] },
    ]);
  });

  it('absent headers compare low; option lists need all (==) or none (!=)', () => {
    const d = doc([
      rule('Dest port', '80', 'Log', [], { id: 'ne', relation: '!=' }),
      rule('Dest port', '80', 'Log', [], { id: 'le', relation: '<=' }),
      rule('Dest port', '80', 'Log', [], { id: 'ge', relation: '>=' }),
      rule('TCP options', '2,3', 'Log', [], { id: 'all' }),
      rule('TCP options', '2,3', 'Log', [], { id: 'none', relation: '!=' }),
    ]);
    expect(both(d, [ICMP])[0]!.matched).toEqual(['ne', 'le', 'none']);
    const mss = pkt('in eth0 tcp 10.0.0.5:1 > 10.0.0.1:80 flags syn tcpoptions 2');
    expect(both(d, [mss])[0]!.matched).toEqual(['le', 'ge']);
  });

  it('Include == state, Keep address shared with Include == address, routed packets', () => {
    const d = doc([
      rule('Include', 'state', 'Pass', [], { id: 'known' }),
      rule('Include', 'address', 'Log', [], { id: 'kept' }),
      rule('Interface', 'eth1', 'Keep address', [], { id: 'keep' }),
      rule('Dest port', '22', 'Pass', [], { id: 'ssh' }),
      rule('Any', '', 'Delete', [], { id: 'rest' }),
    ]);
    const routed = pkt('routed eth0 eth1 tcp 10.0.0.5:40000 > 10.1.0.7:22 flags syn');
    const back = pkt('routed eth1 eth0 tcp 10.1.0.7:22 > 10.0.0.5:40000 flags syn,ack');
    expect(both(d, [routed, back, WEB])).toEqual([
      // Arrival: ssh passes; departure: the flow is already tracked.
      { verdict: 'pass', by: 'known', matched: ['ssh', 'known'], logEvents: [] },
      { verdict: 'pass', by: 'known', matched: ['known', 'known'], logEvents: [] },
      { verdict: 'delete', by: 'rest', matched: ['rest'], logEvents: ['rest'] },
    ]);
  });

  it('Parent match count per packet, per host under an Include parent', () => {
    const d = doc([
      rule('Include', 'authorized', '->', [
        rule('Parent match count', '3', 'Delete', [], { id: 'flood', relation: '>=' }),
      ]),
      rule('Any', '', 'Authorize', [], { id: 'auth' }),
    ]);
    const other = pkt('in eth0 icmp 10.0.0.6 > 10.0.0.1 type 8');
    expect(both(d, [ICMP, other, ICMP, other, ICMP]).map((r) => r.verdict)).toEqual([
      'pass',
      'pass',
      'pass',
      'pass',
      'delete',
    ]);
  });
});
