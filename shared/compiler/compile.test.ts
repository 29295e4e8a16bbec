// Runtime: vitest (pure: no node imports, like the code it tests). Unit and property tests of the
// compiler: refusals name the rule, options are honoured, counters are one per enabled rule, the
// output is deterministic and stays inside our table. Kernel loading: electron/testing/.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../model/types.ts';
import { validateDocument } from '../model/validate.ts';
import { cachedValue, createParseCache } from '../model/values.ts';
import {
  ACTION_NAMES,
  PROPERTY_NAMES,
  RELATION_NAMES,
  type ActionName,
} from '../model/vocabulary.ts';
import { doc, r } from './golden/cases.ts';
import { compile, dynamicSetElements, readCounters, type CompileResult } from './index.ts';
import { docsArb, effectiveIds } from './test-arbitraries.ts';
import { withCommands, type Json } from './nft.ts';

type Ok = Extract<CompileResult, { ok: true }>;
const ok = (result: CompileResult): Ok => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.problems)}`);
  return result;
};
const refused = (result: CompileResult) => {
  if (result.ok) throw new Error('expected problems');
  return result.problems;
};
const rulesOf = (result: Ok, chain: string): Json[][] =>
  result.nft.nftables
    .map((c) => (c.add as { rule?: { chain: string; expr: Json[] } } | undefined)?.rule)
    .filter((x): x is { chain: string; expr: Json[] } => x !== undefined && x.chain === chain)
    .map((x) => x.expr);

describe('compile: Delay (queue worker placeholders, delay.ts)', () => {
  const delay = (id: string, value: string, parameter = ''): Rule => {
    const rule = r(id, 'Dest port', '==', value, 'Delay');
    rule.parameter = parameter;
    return rule;
  };

  it('arriving packets go to a queue chain: jump to the empty placeholder, then the fallback', () => {
    const result = ok(
      compile(
        doc([
          delay('a', '80', '300ms'),
          delay('b', '81', '0.3'),
          delay('c', '82', 'closed'),
          delay('d', '83'),
        ]),
      ),
    );
    expect(result.delays).toEqual([
      {
        queue: 27200,
        ms: 300,
        failOpen: true,
        chain: 'dq0',
        verdictChain: 'delay0',
        ruleIds: ['a', 'b'],
      },
      {
        queue: 27201,
        ms: 500,
        failOpen: false,
        chain: 'dq1',
        verdictChain: 'delay1',
        ruleIds: ['c'],
      },
      {
        queue: 27202,
        ms: 500,
        failOpen: true,
        chain: 'dq2',
        verdictChain: 'delay2',
        ruleIds: ['d'],
      },
    ]);
    expect(result.text).toMatch(/th dport 80 counter name c_a goto delay0/);
    expect(result.text).toMatch(/th dport 82 counter name c_c goto delay1/);
    expect(rulesOf(result, 'delay0')).toEqual([[{ jump: { target: 'dq0' } }], [{ accept: null }]]);
    expect(rulesOf(result, 'delay1')).toEqual([[{ jump: { target: 'dq1' } }], [{ drop: null }]]);
    // The placeholders are declared and empty: the helper's worker fills them after the load.
    expect(rulesOf(result, 'dq0')).toEqual([]);
    const chains = result.nft.nftables.flatMap((c) => {
      const chain = (c.add as { chain?: { name: string } } | undefined)?.chain;
      return chain ? [chain.name] : [];
    });
    expect(chains).toEqual(expect.arrayContaining(['dq0', 'dq1', 'dq2', 'delay0']));
  });

  it('a packet the host sends passes at once (IPNetSentryX holds arriving packets only)', () => {
    const result = ok(compile(doc([delay('a', '80', '300ms')])));
    expect(result.text).toMatch(
      /chain tw_out \{\n\t\tmeta l4proto @tcpudp th dport 80 counter name c_a accept/,
    );
  });

  it('no Delay in the kernel: no queues', () => {
    expect(ok(compile(doc([r('a', 'Dest port', '==', '80', 'Pass')]))).delays).toEqual([]);
  });

  it('refuses children, a place under a verdict, and a 17th distinct delay, naming the rule', () => {
    const parent = delay('p', '80');
    parent.children = [r('k', 'Any', '==', '', 'Log')];
    expect(refused(compile(doc([parent])))[0]?.message).toMatch(
      /Delay takes no children: IPNetSentryX ends the walk there/,
    );
    const under = r('v', 'Dest port', '==', '80', 'Pass', [delay('u', '81')]);
    const p2 = refused(compile(doc([under])));
    expect(p2.find((p) => p.ruleId === 'u')?.message).toMatch(/under rule 1 \(Pass\)/);
    const many = Array.from({ length: 17 }, (_, i) =>
      delay(`m${i}`, String(100 + i), `${i + 1}ms`),
    );
    const p3 = refused(compile(doc(many)));
    expect(p3.map((p) => [p.number, p.message])).toEqual([
      ['17', 'Delay: a document may use at most 16 different delays (time and open/closed)'],
    ]);
  });

  it('refuses a Delay nested so deep that its queue chains pass nftables depth', () => {
    let rule: Rule = delay('deep', '80');
    for (let i = 0; i < 13; i++) rule = r(`n${i}`, 'Any', '==', '', '->', [rule]);
    const problems = refused(compile(doc([rule])));
    expect(problems.find((p) => p.ruleId === 'deep')?.message).toMatch(/nested too deeply/);
  });
});

describe('compile: refusals name the rule and the reason', () => {
  it.each([
    [
      'Data content',
      '[+5,128,13]GET /',
      'Pass',
      /Data content: a relative search offset.*fixed offsets/,
    ],
    ['URL keyword', '[0,8]cmd.exe', 'Delete', /URL keyword takes no \[offset,length\] window/],
    ['Dest port', '80', 'Route to', /Route to reaches arriving packets/],
    ['Rate', '10/s', 'Port forward', /may not test Rate/],
  ] as const)('%s %s %s', (property, value, action, message) => {
    const rule = r('x', property, '==', value, action as ActionName);
    if (action === 'Route to') rule.parameter = 'eth1';
    if (action === 'Port forward') rule.parameter = '10.0.0.2:80';
    const problems = refused(compile(doc([r('top', 'Any', '==', '', '->', [rule])])));
    expect(problems.map((p) => p.number)).toContain('1.1');
    expect(problems.find((p) => p.ruleId === 'x')?.message).toMatch(message);
  });

  it.each([
    ['10.0.0.2:70000', /70000/],
    ['not-an-address', /not an IPv4 or IPv6 address/],
    ['"10.0.0.2"', /not an IPv4 or IPv6 address/],
    ['10.0.0.2\n:80', /Port forward/],
    ['', /needs a target/],
  ])('Port forward %j is refused, naming the rule', (parameter, message) => {
    const rule = r('x', 'Dest port', '==', '2222', 'Port forward');
    rule.parameter = parameter;
    const problems = refused(compile(doc([r('top', 'Any', '==', '', '->', [rule])])));
    const p = problems.find((q) => q.ruleId === 'x');
    expect(p?.number).toBe('1.1');
    expect(p?.message).toMatch(message);
  });

  it('Route to without a next hop under Direction == outbound: only the parameter is the problem', () => {
    const rule = r('x', 'Dest port', '==', '80', 'Route to');
    const problems = refused(compile(doc([r('out', 'Direction', '==', 'outbound', '->', [rule])])));
    const mine = problems.filter((p) => p.ruleId === 'x');
    expect(mine.map((p) => p.field)).toEqual(['parameter']);
    expect(mine[0]?.message).toMatch(/needs a gateway/);
  });

  it('Port forward: its path (tests only) translates in nat_pre; the walk never matches it', () => {
    const top = ok(
      compile(
        doc(
          [
            r('ext', 'Interface', '==', 'external', '->', [
              { ...r('pf', 'Dest port', '==', '2222', 'Port forward'), parameter: '10.9.0.2:22' },
            ]),
          ],
          { externalInterfaces: ['eth0'] },
        ),
      ),
    );
    const nat = JSON.stringify(rulesOf(top, 'nat_pre'));
    expect(nat).toContain('"iifname"');
    expect(nat).toContain('"dnat":{"family":"ip","addr":"10.9.0.2","port":22}');
    expect(nat).toContain('"counter":"c_pf"');
    expect(JSON.stringify(rulesOf(top, 'r_ext_in'))).not.toContain('c_pf');
    // The translated flow passes the filter hooks (before the walk).
    expect(JSON.stringify(rulesOf(top, 'forward')[0])).toContain('"accept"');
    expect(top.forwarding).toEqual({ ruleId: 'pf', number: '1.1', action: 'Port forward' });
  });

  it('Port forward and Route to refuse children, an Include on the path and a terminating parent', () => {
    const pf = {
      ...r('pf', 'Dest port', '==', '2222', 'Port forward', [r('k', 'Any', '==', '', 'Log')]),
      parameter: '10.9.0.2',
    };
    expect(refused(compile(doc([pf]))).find((p) => p.ruleId === 'pf')?.message).toMatch(
      /no children/,
    );
    const underInclude = doc([
      r('inc', 'Include', '==', 'triggered', '->', [
        { ...r('pf', 'Any', '==', '', 'Port forward'), parameter: '10.9.0.2' },
      ]),
    ]);
    expect(refused(compile(underInclude)).find((p) => p.ruleId === 'pf')?.message).toMatch(
      /Include/,
    );
    const underPass = doc([
      r('p', 'Direction', '==', 'outbound', 'Pass', [
        { ...r('rt', 'Any', '==', '', 'Route to'), parameter: '10.1.0.2' },
      ]),
    ]);
    expect(refused(compile(underPass)).find((p) => p.ruleId === 'rt')?.message).toMatch(
      /under rule 1 \(Pass\)/,
    );
  });

  it('Route to: outbound only, one code and table per next hop', () => {
    const rt = (id: string, net: string, hop: string) => ({
      ...r(id, 'Dest net', '==', net, 'Route to'),
      parameter: hop,
    });
    const top = ok(
      compile(
        doc([
          r('out', 'Direction', '==', 'outbound', '->', [
            rt('a', '10.1.0.0/16', '10.0.0.1'),
            rt('b', '10.2.0.0/16', '10.0.0.2 eth1'),
            rt('c', '10.3.0.0/16', '10.0.0.1'),
          ]),
        ]),
      ),
    );
    expect(top.routes.map((x) => [x.table, x.mark, x.via, x.dev, x.ruleIds])).toEqual([
      [27100, 0x04000000, '10.0.0.1', undefined, ['a', 'c']],
      [27101, 0x0c000000, '10.0.0.2', 'eth1', ['b']],
    ]);
    const output = top.nft.nftables
      .map((c) => (c.add as { chain?: { name: string; type: string } } | undefined)?.chain)
      .find((c) => c?.name === 'output');
    expect(output?.type).toBe('route');
  });

  it('Owner UID: absent on arriving packets (== never, != always), tested on what the host sends', () => {
    const top = ok(
      compile(
        doc([
          r('uid', 'Owner UID', '==', '1000', 'Pass'),
          r('not-uid', 'Owner UID', '!=', '1000', 'Delete no log'),
        ]),
      ),
    );
    const inbound = JSON.stringify(rulesOf(top, 'tw_in'));
    expect(inbound).not.toContain('skuid');
    expect(inbound).not.toContain('c_uid');
    expect(inbound).toContain('c_not-uid');
    // Outbound: the test, or a routed packet leaving (no owner: absent, so != holds).
    expect(JSON.stringify(rulesOf(top, 'tw_out'))).toContain('skuid');
    expect(JSON.stringify(rulesOf(top, 'a_not-uid_out'))).toContain('67108864');
    const under = compile(
      doc([
        r('out', 'Direction', '==', 'outbound', '->', [
          r('uid', 'Owner UID', '==', '1000', 'Pass'),
        ]),
      ]),
    );
    expect(JSON.stringify(rulesOf(ok(under), 'r_out_out'))).toContain('skuid');
  });

  it('refuses a Rate limit with children, naming it (its children would run two ways)', () => {
    const problems = refused(
      compile(
        doc([
          r('rl', 'Dest port', '==', '80', 'Rate limit in', [r('c', 'Any', '==', '', 'Log')], {
            parameter: '100/s',
          }),
        ]),
      ),
    );
    expect(problems.map((p) => [p.ruleId, p.number])).toEqual([['rl', '1']]);
    expect(problems[0]?.message).toMatch(/Rate limit in with children/);
  });

  it('a byte-rate Rate limit out shapes: its HTB class by priority, children run, no verdict', () => {
    const result = ok(
      compile(
        doc([
          r('a', 'Dest port', '==', '80', 'Rate limit out', [r('c', 'Any', '==', '', 'Log')], {
            parameter: '100K',
          }),
          r('b', 'Dest port', '==', '81', 'Rate limit out', [], { parameter: '2 mbit/s' }),
          r('p', 'Dest port', '==', '82', 'Rate limit out', [], { parameter: '50/s' }),
          r('i', 'Dest port', '==', '83', 'Rate limit in', [], { parameter: '100K' }),
        ]),
      ),
    );
    expect(result.shaping).toEqual([
      { ruleId: 'a', number: '1', minor: 1, bitsPerSecond: 100_000 },
      { ruleId: 'b', number: '2', minor: 2, bitsPerSecond: 2_000_000 },
    ]);
    expect(result.text).toContain('meta priority set 7477:1');
    expect(result.text).toContain('meta priority set 7477:2');
    // A packet rate and Rate limit in police (a drop over the rate), and never set a priority.
    expect(result.text.match(/limit rate over/g)).toHaveLength(2);
    expect(result.text.match(/priority set/g)).toHaveLength(2);
  });

  it('refuses a tree nested deeper than nftables allows, naming the first rule too deep', () => {
    let rule = r('leaf', 'Dest port', '==', '1', 'Pass');
    for (let i = 20; i >= 1; i--) rule = r(`d${i}`, 'Any', '==', '', '->', [rule]);
    const problems = refused(compile(doc([rule])));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/nested too deeply.*15 levels/);
    expect(problems[0]?.ruleId).toBe('d15');
  });

  it('reports value problems from the model parser with the field', () => {
    const problems = refused(compile(doc([r('p', 'Dest port', '==', '70000', 'Pass')])));
    expect(problems[0]).toMatchObject({ ruleId: 'p', number: '1', field: 'value' });
    expect(problems[0]?.message).toMatch(/70000/);
  });

  it('refuses two rules with the same id', () => {
    const problems = refused(
      compile(doc([r('x', 'Any', '==', '', 'Log'), r('x', 'Any', '==', '', 'Pass')])),
    );
    expect(problems).toEqual([expect.objectContaining({ ruleId: 'x', number: '2' })]);
    expect(problems[0]?.message).toMatch(/same id/);
  });

  it('refuses a rule with the id of its parent, naming the rule met second in outline order', () => {
    const problems = refused(
      compile(doc([r('x', 'Any', '==', '', '->', [r('x', 'Any', '==', '', 'Pass')])])),
    );
    expect(problems).toEqual([expect.objectContaining({ ruleId: 'x', number: '1.1' })]);
  });

  it('gives ids that cannot be names a hashed key, unique beside verbatim ids, objects in outline order', () => {
    const hashed = ok(compile(doc([r('a b', 'Any', '==', '', 'Log')]))).objects['a b']?.key;
    expect(hashed).toMatch(/^h[0-9a-f]{8}$/);
    const k = hashed as string;
    // The verbatim id first keeps its key; the hashed one is suffixed, and the other way round.
    const before = ok(
      compile(doc([r(k, 'Any', '==', '', 'Log'), r('a b', 'Any', '==', '', 'Log')])),
    );
    expect([before.objects[k]?.key, before.objects['a b']?.key]).toEqual([k, `${k}_2`]);
    const after = ok(
      compile(
        doc([
          r('a b', 'Any', '==', '', 'Log', [r('c', 'Any', '==', '', 'Log')]),
          r(k, 'Any', '==', '', 'Log'),
          r(`${k}_2`, 'Any', '==', '', 'Log'),
        ]),
      ),
    );
    expect(Object.keys(after.objects)).toEqual(['a b', 'c', k, `${k}_2`]);
    expect(Object.values(after.objects).map((o) => o.key)).toEqual([k, 'c', `${k}_2`, `${k}_2_2`]);
  });

  it('never refuses a disabled rule', () => {
    const result = compile(
      doc([r('x', 'Data content', '==', 'abc', 'Delay', [], { enabled: false })]),
    );
    expect(result.ok).toBe(true);
  });
});

describe('compile: semantics in the program', () => {
  it('timer rules test a helper-owned flag in set hf, and their helper actions send no event', () => {
    const result = ok(
      compile(
        doc([
          r('idle', 'Idle seconds', '>=', '60', 'Email', [r('c', 'Any', '==', '', 'Log')]),
          r('flood', 'Parent match count', '>=', '50', 'Delete no log'),
        ]),
      ),
    );
    expect(result.helperRules).toEqual(['idle', 'flood']);
    expect(result.objects.idle).toMatchObject({ counter: 'c_idle', helper: true, flag: 1 });
    expect(result.objects.flood).toMatchObject({ helper: true, flag: 2 });
    const flag = (n: number) => ({
      match: {
        op: '==',
        left: { '|': [{ '&': [{ meta: { key: 'mark' } }, 0] }, n] },
        right: '@hf',
      },
    });
    // Email runs from the helper's timer: no log statement; the child still logs.
    expect(rulesOf(result, 'tw_in')).toEqual([
      [flag(1), { counter: 'c_idle' }, { jump: { target: 'r_idle' } }],
      [flag(2), { counter: 'c_flood' }, { drop: null }],
    ]);
    expect(rulesOf(result, 'r_idle')).toEqual([
      [{ counter: 'c_c' }, { log: { prefix: 'c', group: 1729 } }],
    ]);
    const hf = result.nft.nftables.flatMap((c) => {
      const set = (c.add as { set?: { name: string } } | undefined)?.set;
      return set?.name === 'hf' ? [set] : [];
    });
    expect(hf).toEqual([{ family: 'inet', table: 'treewall', name: 'hf', type: 'mark' }]);
    // No timer rule, no flag set.
    const plain = ok(compile(doc([r('p', 'Dest port', '==', '80', 'Pass')])));
    expect(JSON.stringify(plain.nft)).not.toContain('"hf"');
  });

  it('an empty external list matches nothing, with a warning naming the rule', () => {
    const result = ok(compile(doc([r('e', 'Interface', '==', 'external', 'Delete')])));
    expect(result.warnings[0]).toMatchObject({ ruleId: 'e', number: '1' });
    expect(rulesOf(result, 'tw_in')).toEqual([]);
    expect(result.objects.e?.counter).toBe('c_e');
  });

  it('Exit group outside any group leaves the top level (return to the base chain)', () => {
    const result = ok(compile(doc([r('x', 'Dest port', '==', '80', 'Exit group')])));
    const [line] = rulesOf(result, 'tw_in');
    expect(line?.at(-1)).toEqual({ return: null });
    expect(JSON.stringify(line)).not.toContain('mangle');
  });

  it('Time of day across midnight is the exact complement of the rest of the day', () => {
    const result = ok(compile(doc([r('night', 'Time of day', '==', '22:00-06:00', 'Log')])));
    expect(rulesOf(result, 'tw_in')[0]?.[0]).toEqual({
      match: {
        op: '!=',
        left: { meta: { key: 'hour' } },
        right: { range: ['06:01:00', '21:59:59'] },
      },
    });
    const allDay = ok(compile(doc([r('x', 'Time of day', '!=', '12:00-11:59', 'Log')])));
    expect(rulesOf(allDay, 'tw_in')).toEqual([]);
  });

  it('Rate limit in polices inbound traffic only: over the rate is deleted, the rest goes on', () => {
    const result = ok(
      compile(
        doc([
          r('rl', 'Dest port', '==', '80', 'Rate limit in', [], { parameter: '100/s per source' }),
        ]),
      ),
    );
    const inbound = JSON.stringify(rulesOf(result, 'r_rl_in'));
    expect(inbound).toContain('"meter"');
    expect(inbound).toContain('"inv":true');
    expect(inbound).toContain('"drop"');
    expect(rulesOf(result, 'tw_out')).toEqual([
      [
        { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: '@tcpudp' } },
        { match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: 80 } },
        { counter: 'c_rl' },
      ],
    ]);
  });

  it('a Delete is logged unconditionally when no Dont log can come before it', () => {
    const result = ok(
      compile(doc([r('d', 'Dest port', '==', '1', 'Delete'), r('q', 'Any', '==', '', 'Dont log')])),
    );
    const [line] = rulesOf(result, 'tw_in');
    expect(line).toContainEqual({ log: { prefix: 'd', group: 1729 } });
    expect(JSON.stringify(line)).not.toContain('&');
  });

  it('honours logGroup, tableName and table mode', () => {
    const result = ok(
      compile(doc([r('d', 'Dest port', '==', '1', 'Delete')]), {
        logGroup: 7,
        tableName: 'tw2',
        mode: 'table',
      }),
    );
    const text = JSON.stringify(result.nft);
    expect(text).toContain('"group":7');
    expect(text).not.toContain('"delete"');
    expect(text).not.toContain('"treewall"');
    expect(result.text).toContain('table inet tw2 {');
  });

  it('replace mode adds, deletes and re-adds the table in one document', () => {
    const result = ok(compile(doc([])));
    const [meta, add, del, add2] = result.nft.nftables;
    expect(meta).toEqual({ metainfo: { json_schema_version: 1 } });
    expect(add).toEqual({ add: { table: { family: 'inet', name: 'treewall' } } });
    expect(del).toEqual({ delete: { table: { family: 'inet', name: 'treewall' } } });
    expect(add2).toEqual(add);
  });

  it('a subtree without direction-dependent rules is one chain shared by both directions', () => {
    const shared = ok(
      compile(
        doc([
          r('p', 'Dest port', '==', '53', 'Delete', [
            r('c', 'Source net', '==', '10.0.0.0/8', 'Pass'),
          ]),
        ]),
      ),
    );
    expect(shared.objects.p?.chains).toEqual(['r_p']);
    const split = ok(
      compile(
        doc([r('p', 'Dest port', '==', '53', 'Delete', [r('c', 'Interface', '==', 'lo', 'Pass')])]),
      ),
    );
    expect(split.objects.p?.chains).toEqual(['r_p_in', 'r_p_out']);
  });
});

describe('keepElements', () => {
  it('puts listed elements back into sets the new document still has, and drops the rest', () => {
    const listing = {
      nftables: [
        {
          set: {
            name: 't4_probe',
            type: 'ipv4_addr',
            elem: [{ elem: { val: '192.0.2.1', expires: 299 } }],
          },
        },
        { set: { name: 't4_gone', type: 'ipv4_addr', elem: ['192.0.2.2'] } },
        {
          set: {
            name: 'trig6',
            type: 'ipv6_addr',
            elem: [{ elem: { val: '2001:db8::1', expires: 9 } }],
          },
        },
        { set: { name: 'other', type: 'ipv4_addr', elem: ['192.0.2.3'] } },
        { map: { name: 'm_x', elem: [] } },
      ],
    };
    const kept = dynamicSetElements(listing);
    expect(Object.keys(kept).sort()).toEqual(['t4_gone', 't4_probe', 'trig6']);
    const result = ok(
      compile(doc([r('probe', 'Dest port', '==', '23', 'Trigger')]), { keepElements: kept }),
    );
    const sets = result.nft.nftables
      .map((c) => (c.add as { set?: { name: string; elem?: Json[] } } | undefined)?.set)
      .filter((x) => x !== undefined);
    expect(sets.find((x) => x.name === 't4_probe')?.elem).toEqual([
      { elem: { val: '192.0.2.1', expires: 299 } },
    ]);
    expect(sets.find((x) => x.name === 'trig6')?.elem).toHaveLength(1);
    expect(sets.some((x) => x.name === 't4_gone')).toBe(false);
    // A table from before every Trigger also filled trig4: the kept rule's address joins it.
    expect(sets.find((x) => x.name === 'trig4')?.elem).toEqual([
      { elem: { val: '192.0.2.1', expires: 299 } },
    ]);
  });

  it('keeps the shared triggered set in step with the per-rule sets across an apply', () => {
    const e = (val: string, expires: number): Json => ({ elem: { val, timeout: 600, expires } });
    const keep: Record<string, Json[]> = {
      t4_probe: [e('192.0.2.1', 299)],
      t4_gone: [e('192.0.2.2', 100), e('192.0.2.1', 50)],
      trig4: [e('192.0.2.1', 299), e('192.0.2.2', 100), e('192.0.2.9', 30)],
    };
    const result = ok(
      compile(doc([r('probe', 'Dest port', '==', '23', 'Trigger')]), { keepElements: keep }),
    );
    const trig4 = result.nft.nftables
      .map((c) => (c.add as { set?: { name: string; elem?: Json[] } } | undefined)?.set)
      .find((x) => x?.name === 'trig4');
    // 192.0.2.2 only a deleted rule triggered: it goes; .1 a kept rule holds too; .9 was by hand.
    expect(trig4?.elem).toEqual([e('192.0.2.1', 299), e('192.0.2.9', 30)]);
  });
});

describe('compile: exact verdict maps (no interval flag where every member is one key)', () => {
  const mapOf = (result: Ok, name: string) =>
    result.nft.nftables
      .map((c) => (c.add as { map?: { name: string; flags?: string[]; elem: Json[] } })?.map)
      .find((m) => m?.name === name);
  const run = (values: string[], property: 'Source net' | 'Dest port' = 'Source net') =>
    ok(compile(doc(values.map((v, i) => r(`b${i}`, property, '==', v, 'Delete no log')))));

  it('looks networks of one prefix length up as address & mask, keyed by network address', () => {
    const result = run(['100.64.0.0/24', '100.64.1.0/24', '100.64.9.0/24', '100.64.2.0/24']);
    const map = mapOf(result, 'm_b0_4');
    expect(map?.flags).toBeUndefined();
    expect(map?.elem.map((e) => (e as [{ elem: { val: Json } }])[0].elem.val)).toEqual([
      '100.64.0.0',
      '100.64.1.0',
      '100.64.9.0',
      '100.64.2.0',
    ]);
    expect(rulesOf(result, 'tw_in')[0]).toEqual([
      {
        vmap: {
          key: { '&': [{ payload: { protocol: 'ip', field: 'saddr' } }, '255.255.255.0'] },
          data: '@m_b0_4',
        },
      },
    ]);
    // The one key the kernel holds, which both counter readers find the element by.
    expect(result.objects.b2?.elements).toEqual([
      { map: 'm_b0_4', first: String(0x64_40_09_00), last: String(0x64_40_09_00) },
    ]);
  });

  it('looks single ports and addresses up without a mask', () => {
    expect(mapOf(run(['22', '25', '80', '443'], 'Dest port'), 'm_b0')?.flags).toBeUndefined();
    const hosts = run(['10.0.0.1', '10.0.0.2/32', '10.0.0.3', '10.0.0.4']);
    expect(mapOf(hosts, 'm_b0_4')?.flags).toBeUndefined();
    expect(rulesOf(hosts, 'tw_in')[0]).toEqual([
      { vmap: { key: { payload: { protocol: 'ip', field: 'saddr' } }, data: '@m_b0_4' } },
    ]);
  });

  it("looks a body that is one lookup up on its rule's own line, its chain gone", () => {
    const nets = ['100.64.0.0/24', '100.64.1.0/24', '100.64.2.0/24', '100.64.3.0/24'];
    const banned = r(
      'g',
      'Direction',
      '==',
      'inbound',
      'Group',
      nets.map((v, i) => r(`n${i}`, 'Source net', '==', v, 'Delete no log')),
    );
    const result = ok(compile(doc([banned])));
    const line = rulesOf(result, 'tw_in')[0] as Json[];
    expect(line.at(-2)).toEqual({ counter: 'c_g' });
    expect(line.at(-1)).toEqual({
      vmap: {
        key: { '&': [{ payload: { protocol: 'ip', field: 'saddr' } }, '255.255.255.0'] },
        data: '@m_n0_4',
      },
    });
    expect(rulesOf(result, 'r_g_in')).toEqual([]);
    expect(result.objects.g?.chains).toEqual([]);
    // An Exit group element returns from the chain it is looked up in: the body keeps its chain.
    const exits = r(
      'g',
      'Direction',
      '==',
      'inbound',
      'Group',
      ['1', '2', '3', '4'].map((p, i) => r(`e${i}`, 'Dest port', '==', p, 'Exit group')),
    );
    const kept = ok(compile(doc([exits])));
    expect(rulesOf(kept, 'tw_in')[0]?.at(-1)).toEqual({ jump: { target: 'r_g_in' } });
    expect(rulesOf(kept, 'r_g_in')).toHaveLength(1);
  });

  it('keeps the interval map for ranges and for networks of several lengths', () => {
    expect(mapOf(run(['22', '25', '80-90', '443'], 'Dest port'), 'm_b0')?.flags).toEqual([
      'interval',
    ]);
    expect(
      mapOf(run(['10.1.0.0/24', '10.2.0.0/16', '10.3.0.0/24', '10.4.0.0/24']), 'm_b0_4')?.flags,
    ).toEqual(['interval']);
    // A range that is not a prefix, even of a prefix's size.
    expect(
      mapOf(run(['10.1.0.0/24', '10.2.0.0/24', '10.3.0.0/24', '10.4.0.128-10.4.1.127']), 'm_b0_4')
        ?.flags,
    ).toEqual(['interval']);
  });
});

describe('readCounters', () => {
  it('sums named counters and map elements however nft prints the element', () => {
    const result = ok(
      compile(
        doc([
          r('a', 'Source net', '==', '10.0.0.0-10.0.0.255', 'Delete'),
          r('b', 'Source net', '==', '10.0.1.7/32', 'Delete'),
          r('c', 'Source net', '==', '10.0.2.0/24', 'Delete'),
          r('d', 'Source net', '==', '10.0.3.0/24', 'Delete'),
          r('x', 'Dest port', '==', '22', 'Pass'),
        ]),
      ),
    );
    expect(result.objects.a?.elements?.[0]?.map).toBe('m_a_4');
    const listing = {
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { counter: { family: 'inet', table: 'treewall', name: 'c_x', packets: 5, bytes: 300 } },
        {
          map: {
            name: 'm_a_4',
            type: 'ipv4_addr',
            map: 'verdict',
            elem: [
              [
                {
                  elem: {
                    val: { prefix: { addr: '10.0.0.0', len: 24 } },
                    counter: { packets: 2, bytes: 120 },
                  },
                },
                { goto: { target: 'r_a' } },
              ],
              [
                { elem: { val: '10.0.1.7', counter: { packets: 1, bytes: 60 } } },
                { goto: { target: 'r_b' } },
              ],
              [
                {
                  elem: {
                    val: { range: ['10.0.2.0', '10.0.2.255'] },
                    counter: { packets: 0, bytes: 0 },
                  },
                },
                { goto: { target: 'r_c' } },
              ],
            ],
          },
        },
      ],
    };
    const counters = readCounters(listing, result.objects);
    expect(counters).toEqual({
      a: { packets: 2, bytes: 120 },
      b: { packets: 1, bytes: 60 },
      c: { packets: 0, bytes: 0 },
      x: { packets: 5, bytes: 300 },
    });
    expect(readCounters(JSON.stringify(listing), result.objects)).toEqual(counters);
    expect(readCounters('not json', result.objects)).toEqual({});
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Property tests over generated trees                                                         */
/* ------------------------------------------------------------------------------------------ */

describe('compile: properties over generated trees', () => {
  it('writes its JSON text as JSON.stringify writes its commands, with its base chains beside', () => {
    fc.assert(
      fc.property(docsArb, fc.constantFrom('replace', 'table'), (d, mode) => {
        const program = ok(compile(d, { mode, tableName: 'tw "x"' })).nft;
        // The text is the canonical form of the commands it parses to (no space, same key
        // order), so serialising the parsed program gives the same bytes.
        expect(JSON.stringify({ nftables: program.nftables })).toBe(program.json);
        expect(JSON.stringify(program)).toBe(program.json);
        const hooked = program.nftables.flatMap((c) => {
          const chain = (c.add as { chain?: { hook?: string } } | undefined)?.chain;
          return chain?.hook !== undefined ? [chain] : [];
        });
        expect(program.baseChains).toEqual(hooked);
        // More commands in the same transaction, without parsing the text.
        const more = { delete: { table: { family: 'inet', name: 'other' } } };
        const longer = withCommands(program, [more]);
        expect(longer.nftables).toEqual([...program.nftables, more]);
        expect(longer.baseChains).toEqual(program.baseChains);
      }),
      { numRuns: 60 },
    );
  });

  it('is deterministic, one counter per enabled rule, all names safe, all inside our table', () => {
    fc.assert(
      fc.property(docsArb, (d) => {
        const first = compile(d);
        const second = compile(structuredClone(d));
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
        const result = ok(first);

        // One counter per effectively enabled rule, none for disabled ones, never shared.
        const ids = effectiveIds(d.rules);
        expect(new Set(Object.keys(result.objects))).toEqual(ids);
        const counterNames = new Set<string>();
        for (const id of ids) {
          const o = result.objects[id];
          expect(o?.counter !== undefined || (o?.elements?.length ?? 0) > 0).toBe(true);
          if (o?.counter) {
            expect(counterNames.has(o.counter)).toBe(false);
            counterNames.add(o.counter);
          }
        }

        // Everything is inside table inet treewall; every name is derived, never user text.
        const declared = {
          chain: new Set<string>(),
          set: new Set<string>(),
          map: new Set<string>(),
        };
        for (const command of result.nft.nftables.slice(1)) {
          const [verb, body] = Object.entries(command)[0] as [
            string,
            Record<string, Record<string, Json>>,
          ];
          expect(['add', 'delete']).toContain(verb);
          const [kind, obj] = Object.entries(body)[0] as [string, Record<string, Json>];
          expect(obj.family).toBe('inet');
          expect(kind === 'table' ? obj.name : obj.table).toBe('treewall');
          if (kind === 'chain' || kind === 'set' || kind === 'map' || kind === 'counter') {
            expect(obj.name).toMatch(/^[A-Za-z0-9_-]{1,60}$/);
          }
          if (kind === 'chain' || kind === 'set' || kind === 'map')
            declared[kind].add(String(obj.name));
        }
        // Every jump, goto and @set reference points at something declared.
        const text = JSON.stringify(result.nft);
        for (const m of text.matchAll(/"(?:jump|goto)":\{"target":"([^"]+)"\}/g)) {
          expect(declared.chain.has(m[1] as string)).toBe(true);
        }
        for (const m of text.matchAll(/"@([^"]+)"/g)) {
          const name = m[1] as string;
          expect(declared.set.has(name) || declared.map.has(name)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 1729 },
    );
  });

  it('disabling a subtree removes exactly that subtree', () => {
    fc.assert(
      fc.property(docsArb, fc.nat(), (d, pick) => {
        const ids = [...effectiveIds(d.rules)];
        fc.pre(ids.length > 0);
        const target = ids[pick % ids.length] as string;
        const removed = new Set<string>();
        const disable = (rules: Rule[]): void => {
          for (const rule of rules) {
            if (rule.id === target) {
              rule.enabled = false;
              effectiveIds([{ ...rule, enabled: true }], removed);
            } else disable(rule.children);
          }
        };
        const before = ok(compile(d));
        const copy = structuredClone(d);
        disable(copy.rules);
        const after = ok(compile(copy));
        const expected = Object.keys(before.objects).filter((id) => !removed.has(id));
        expect(Object.keys(after.objects).sort()).toEqual(expected.sort());
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe('compile: never throws', () => {
  const values = fc.oneof(
    fc.constantFrom(
      '',
      '22',
      '1-65535',
      '10.0.0.0/8',
      'fd00::/8',
      'inbound',
      'outbound',
      'external',
      'triggered',
      'syn,-ack',
      'tcp',
      '3,9',
      '08:00-17:00',
      'Monday',
      '2030-01-01 00:00',
      '50/s per source',
      'established',
      '00:11:22:33:44:55',
      'eth0',
      'wg*',
      '6 (TCP)',
      '4',
      '1000',
    ),
    fc.string({ maxLength: 20 }),
  );
  const parameters = fc.oneof(
    fc.constantFrom(
      '',
      '10 min',
      'unlimited',
      '50/s',
      '1 mbit/s per source',
      'eth1',
      '10.0.0.2:80',
      ':8080',
      'http://x/',
    ),
    fc.string({ maxLength: 10 }),
  );
  const anyRule: fc.Arbitrary<Rule> = fc.letrec((tie) => ({
    rule: fc.record({
      id: fc.string({ maxLength: 6 }),
      enabled: fc.boolean(),
      name: fc.string({ maxLength: 8 }),
      property: fc.constantFrom(...PROPERTY_NAMES),
      relation: fc.constantFrom(...RELATION_NAMES),
      value: values,
      action: fc.constantFrom(...ACTION_NAMES),
      parameter: parameters,
      children: fc.oneof(
        { depthSize: 'small' },
        fc.constant([]),
        fc.array(tie('rule'), { maxLength: 3 }),
      ),
      expanded: fc.boolean(),
    }),
  })).rule as fc.Arbitrary<Rule>;

  it('over the whole vocabulary with arbitrary values: a result or problems, never an exception', () => {
    fc.assert(
      fc.property(fc.array(anyRule, { maxLength: 6 }), (rules) => {
        const result = compile(doc(rules, { externalInterfaces: ['eth0'] }));
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) expect(p.message.length).toBeGreaterThan(0);
        } else {
          expect(result.text.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});

describe('compile: a parse cache shared with validation', () => {
  it('gives the same program as a fresh compile, and its entries are what compile reads', () => {
    fc.assert(
      fc.property(docsArb, (d) => {
        const cache = createParseCache();
        validateDocument(d, cache);
        expect(JSON.stringify(compile(d, { parseCache: cache }))).toBe(JSON.stringify(compile(d)));
      }),
      { numRuns: 60, seed: 11 },
    );
    // An entry already in the cache is used as is (no second parse): here it says port 23.
    const cache = createParseCache();
    const parsed = cachedValue(cache, 'Dest port', '23');
    cache.values.set('Dest port', new Map([['22', parsed]]));
    const result = compile(doc([r('p', 'Dest port', '==', '22', 'Pass')]), { parseCache: cache });
    expect(result.ok && result.text).toContain('th dport 23');
  });
});
