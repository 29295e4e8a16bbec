// Runtime: vitest (pure). Every case of DESIGN §3, one behaviour per test.
import { describe, expect, it } from 'vitest';
import { advance, createState, evaluate, formatPacket } from './index.ts';
import { doc, pkt, rule } from './test-rules.ts';
import { tableWalk } from './table-walk.ts';

const SSH_SYN = pkt('in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn');
const WEB_SYN = pkt('in eth0 tcp 10.0.0.5:40001 > 10.0.0.1:80 flags syn');

describe('§3.1 outline order', () => {
  it('tests top-level rules in order and stops at the first verdict', () => {
    const a = rule('Dest port', '22', 'Delete', [], { id: 'a' });
    const b = rule('Dest port', '22', 'Pass', [], { id: 'b' });
    const r = evaluate(doc([a, b]), SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.verdictRuleId).toBe('a');
    expect(r.tested).toEqual(['a']);
  });
});

describe('§3.2 disabled rules', () => {
  it('skips a disabled rule together with its enabled children', () => {
    const child = rule('Any', '', 'Delete', [], { id: 'child' });
    const parent = rule('Any', '', '->', [child], { id: 'parent', enabled: false });
    const r = evaluate(doc([parent]), SSH_SYN);
    expect(r.verdict).toBe('pass');
    expect(r.tested).toEqual([]);
    expect(r.matched).toEqual([]);
  });
});

describe('§3.3 false condition', () => {
  it('goes on with the next sibling, then returns to the level above', () => {
    const c1 = rule('Dest port', '80', 'Delete', [], { id: 'c1' });
    const c2 = rule('Dest port', '443', 'Delete', [], { id: 'c2' });
    const p = rule('Protocol', 'tcp', '->', [c1, c2], { id: 'p' });
    const after = rule('Dest port', '22', 'Reject', [], { id: 'after' });
    const r = evaluate(doc([p, after]), SSH_SYN);
    expect(r.tested).toEqual(['p', 'c1', 'c2', 'after']);
    expect(r.matched).toEqual(['p', 'after']);
    expect(r.verdict).toBe('reject');
  });
});

describe('§3.4 a matching rule', () => {
  it('counts the packet, runs its non-terminating action at once, then tests its children', () => {
    const child = rule('Dest port', '22', 'Pass', [], { id: 'child' });
    const logger = rule('Protocol', 'tcp', 'Log', [child], { id: 'logger' });
    const r = evaluate(doc([logger]), SSH_SYN);
    expect(r.matched).toEqual(['logger', 'child']);
    expect(r.actions).toEqual([
      { ruleId: 'logger', action: 'Log' },
      { ruleId: 'child', action: 'Pass' },
    ]);
    expect(r.logged).toBe(true);
  });
});

describe('§3.4 a terminating rule fixes the verdict first, then its children add side effects', () => {
  const delWithPass = () =>
    rule('Protocol', 'tcp', 'Delete', [rule('Dest port', '22', 'Pass', [], { id: 'ssh' })], {
      id: 'del',
    });

  it("a Delete rule's Pass child does not rescue the packet: it is deleted, the child counted", () => {
    const r = evaluate(doc([delWithPass()]), SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.verdictRuleId).toBe('del');
    expect(r.matched).toEqual(['del', 'ssh']);
    expect(r.actions.map((a) => a.action)).toEqual(['Delete']);
    expect(r.logEvents).toEqual(['del']);
    expect(r.steps).toEqual([
      { ruleId: 'del', kind: 'match', afterVerdict: false, effect: 'verdict' },
      { ruleId: 'ssh', kind: 'match', afterVerdict: true, effect: 'ends side effects' },
    ]);
  });

  it('and deletes everything else', () => {
    const r = evaluate(doc([delWithPass()]), WEB_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.verdictRuleId).toBe('del');
    expect(r.matched).toEqual(['del']);
  });

  it('a Delete with a Dont log child deletes silently', () => {
    const silent = rule(
      'Dest port',
      '137-139',
      'Delete',
      [rule('Any', '', 'Dont log', [], { id: 'quiet' })],
      { id: 'd' },
    );
    const r = evaluate(doc([silent]), pkt('in eth0 udp 10.0.0.5:137 > 10.0.0.1:138'));
    expect(r.verdict).toBe('delete');
    expect(r.logged).toBe(false);
    expect(r.matched).toEqual(['d', 'quiet']);
  });

  it('the first terminating child met ends the side-effect walk; later children are not tested', () => {
    const d = doc([
      rule(
        'Any',
        '',
        'Pass',
        [
          rule('Dest port', '80', 'Log', [], { id: 'web' }),
          rule('Dest port', '22', 'Reject', [], { id: 'rj' }),
          rule('Any', '', 'Log', [], { id: 'after' }),
        ],
        { id: 'p' },
      ),
    ]);
    const ssh = evaluate(d, SSH_SYN);
    expect(ssh).toMatchObject({ verdict: 'pass', verdictRuleId: 'p', logEvents: [] });
    expect(ssh.tested).toEqual(['p', 'web', 'rj']);
    expect(ssh.matched).toEqual(['p', 'rj']);
    const web = evaluate(d, WEB_SYN);
    expect(web).toMatchObject({ verdict: 'pass', logEvents: ['web', 'after'] });
    expect(web.matched).toEqual(['p', 'web', 'after']);
  });

  it('the side-effect walk goes down matching non-terminating children and skips the rest', () => {
    const d = doc([
      rule(
        'Any',
        '',
        'Delete',
        [
          rule('Dest port', '80', '->', [rule('Any', '', 'Log', [], { id: 'under80' })], {
            id: 'p80',
          }),
          rule('Dest port', '22', '->', [rule('Any', '', 'Log', [], { id: 'under22' })], {
            id: 'p22',
          }),
        ],
        { id: 'del' },
      ),
    ]);
    const r = evaluate(d, SSH_SYN);
    expect(r.matched).toEqual(['del', 'p22', 'under22']);
    expect(r.logEvents).toEqual(['under22', 'del']);
    expect(r.steps.map((s) => [s.ruleId, s.kind, s.afterVerdict])).toEqual([
      ['del', 'match', false],
      ['p80', 'miss', true],
      ['p22', 'match', true],
      ['under22', 'match', true],
    ]);
  });

  it('a rule without a terminating action lets testing go on with its next sibling', () => {
    const arrow = rule('Protocol', 'tcp', '->', [rule('Dest port', '80', 'Delete')], {
      id: 'arrow',
    });
    const next = rule('Dest port', '22', 'Reject', [], { id: 'next' });
    const r = evaluate(doc([arrow, next]), SSH_SYN);
    expect(r.verdict).toBe('reject');
    expect(r.verdictRuleId).toBe('next');
  });

  it('a child verdict deep in the tree ends everything', () => {
    const deep = rule('Any', '', '->', [
      rule('Any', '', '->', [rule('Dest port', '22', 'Drop connection', [], { id: 'dc' })]),
    ]);
    const r = evaluate(doc([deep, rule('Any', '', 'Pass')]), SSH_SYN);
    expect(r.verdict).toBe('drop connection');
    expect(r.verdictRuleId).toBe('dc');
  });

  it('to let something through, test it first: a Pass before the Delete, or under a -> parent', () => {
    const d = doc([
      rule('Protocol', 'tcp', '->', [
        rule('Dest port', '22', 'Pass', [], { id: 'ssh' }),
        rule('Any', '', 'Delete', [], { id: 'rest' }),
      ]),
    ]);
    expect(evaluate(d, SSH_SYN)).toMatchObject({ verdict: 'pass', verdictRuleId: 'ssh' });
    expect(evaluate(d, WEB_SYN)).toMatchObject({ verdict: 'delete', verdictRuleId: 'rest' });
  });
});

describe('§3.6 end of the top level', () => {
  it('passes by default', () => {
    const r = evaluate(doc([rule('Dest port', '80', 'Delete')]), SSH_SYN);
    expect(r.verdict).toBe('pass');
    expect(r.verdictRuleId).toBeUndefined();
    expect(r.logged).toBe(false);
  });
  it('applies the document default policy, which no rule decides and nothing logs', () => {
    const r = evaluate(doc([], { defaultPolicy: 'delete' }), SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.verdictRuleId).toBeUndefined();
    expect(r.logged).toBe(false);
  });
});

describe('§3.7 logging', () => {
  it.each([
    ['Delete', true],
    ['Reject', true],
    ['Drop connection', true],
    ['Trigger', true],
    ['Pass', false],
    ['Delete no log', false],
  ] as const)('%s alone is logged: %s', (action, logged) => {
    const r = evaluate(doc([rule('Any', '', action, [], { id: 'x' })]), SSH_SYN);
    expect(r.logged).toBe(logged);
    if (logged) expect(r.logRuleId).toBe('x');
  });

  it('Pass is logged when a Log matched on the way', () => {
    const r = evaluate(
      doc([rule('Any', '', 'Log', [], { id: 'l' }), rule('Any', '', 'Pass', [], { id: 'p' })]),
      SSH_SYN,
    );
    expect(r.verdict).toBe('pass');
    expect(r.logged).toBe(true);
    expect(r.logEvents).toEqual(['l']);
  });

  it('Log logs when it matches, so a later Dont log cannot take it back', () => {
    const d = doc([
      rule('Any', '', 'Log', [], { id: 'l' }),
      rule('Any', '', 'Dont log'),
      rule('Any', '', 'Delete', [], { id: 'd' }),
    ]);
    const r = evaluate(d, SSH_SYN);
    expect(r.logEvents).toEqual(['l']);
    expect(r.logged).toBe(true);
  });

  it('Log and a logged verdict are two events', () => {
    const r = evaluate(
      doc([rule('Any', '', 'Log', [], { id: 'l' }), rule('Any', '', 'Reject', [], { id: 'rj' })]),
      SSH_SYN,
    );
    expect(r.logEvents).toEqual(['l', 'rj']);
    expect(r.logRuleId).toBe('rj');
  });

  it('Delete no log silences only itself (a later logged verdict still logs)', () => {
    const d = doc([
      rule('Dest port', '80', 'Delete no log'),
      rule('Dest port', '22', 'Reject', [], { id: 'rj' }),
    ]);
    expect(evaluate(d, WEB_SYN).logEvents).toEqual([]);
    const r = evaluate(d, SSH_SYN);
    expect(r.verdict).toBe('reject');
    expect(r.logEvents).toEqual(['rj']);
  });

  it('an Alert, Email or URL under the terminating rule stands for its log line (§3.6)', () => {
    for (const action of ['Alert', 'Email', 'URL'] as const) {
      const d = doc([
        rule('Any', '', 'Delete', [rule('Any', '', action, [], { id: 'tell' })], { id: 'del' }),
      ]);
      const r = evaluate(d, SSH_SYN);
      expect(r).toMatchObject({ verdict: 'delete', logEvents: ['tell'], logRuleId: 'tell' });
    }
  });

  it('an Alert met before the terminating rule does not silence it', () => {
    const d = doc([
      rule('Any', '', 'Alert', [], { id: 'tell' }),
      rule('Any', '', 'Delete', [], { id: 'del' }),
    ]);
    expect(evaluate(d, SSH_SYN).logEvents).toEqual(['tell', 'del']);
  });

  it('a Log under the terminating rule logs, and the verdict logs too, after it', () => {
    const d = doc([
      rule('Any', '', 'Reject', [rule('Any', '', 'Log', [], { id: 'l' })], { id: 'rj' }),
    ]);
    expect(evaluate(d, SSH_SYN)).toMatchObject({ logEvents: ['l', 'rj'], logRuleId: 'rj' });
  });

  it('a Dont log on the way silences a later Delete', () => {
    const r = evaluate(doc([rule('Any', '', 'Dont log'), rule('Any', '', 'Delete')]), SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.logged).toBe(false);
  });

  it('a Dont log that did not match does not silence', () => {
    const r = evaluate(
      doc([rule('Dest port', '80', 'Dont log'), rule('Any', '', 'Delete')]),
      SSH_SYN,
    );
    expect(r.logged).toBe(true);
  });

  it('Delete no log is Delete with Dont log', () => {
    const r = evaluate(doc([rule('Any', '', 'Delete no log', [], { id: 'dnl' })]), SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.verdictAction).toBe('Delete no log');
    expect(r.logged).toBe(false);
  });
});

describe('§3.8 Trigger and Include', () => {
  const tree = () =>
    doc([
      rule('Include', 'triggered', 'Delete', [], { id: 'banned' }),
      rule('Dest port', '23', 'Trigger', [], { id: 'telnet', parameter: '10 min' }),
    ]);

  it('Trigger records the source, then deletes', () => {
    const r = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4000 > 10.0.0.1:23 flags syn'),
      createState(1000),
    );
    expect(r.verdict).toBe('delete');
    expect(r.verdictAction).toBe('Trigger');
    expect(r.logged).toBe(true);
    expect(r.stateChanges.triggered).toEqual([
      { table: 'triggered', address: '192.0.2.9', ruleId: 'telnet', timeout: 600 },
    ]);
    expect(r.state.tables.triggered['192.0.2.9']?.expires).toBe(1600);
  });

  it('the banned source is deleted on any port afterwards; others are not', () => {
    const first = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4000 > 10.0.0.1:23 flags syn'),
      createState(1000),
    );
    const later = advance(first.state, 1100);
    const again = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4001 > 10.0.0.1:80 flags syn'),
      later,
    );
    expect(again.verdict).toBe('delete');
    expect(again.verdictRuleId).toBe('banned');
    const other = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.10:4001 > 10.0.0.1:80 flags syn'),
      later,
    );
    expect(other.verdict).toBe('pass');
  });

  it('Include == triggered refreshes the entry: a host that keeps probing stays banned', () => {
    const first = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4000 > 10.0.0.1:23 flags syn'),
      createState(0),
    );
    const seen = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4001 > 10.0.0.1:80'),
      advance(first.state, 500),
    );
    expect(seen.stateChanges.refreshed).toEqual([
      { table: 'triggered', address: '192.0.2.9', ruleId: 'banned', timeout: 600 },
    ]);
    expect(seen.state.tables.triggered['192.0.2.9']?.expires).toBe(1100);
    // 700 s after the trigger but only 200 s after last seen: still banned.
    const still = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4002 > 10.0.0.1:80'),
      advance(seen.state, 700),
    );
    expect(still.verdict).toBe('delete');
  });

  it('an entry expires when the host stays away', () => {
    const first = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4000 > 10.0.0.1:23 flags syn'),
      createState(0),
    );
    const r = evaluate(
      tree(),
      pkt('in eth0 tcp 192.0.2.9:4001 > 10.0.0.1:80'),
      advance(first.state, 601),
    );
    expect(r.verdict).toBe('pass');
  });

  it('uses the document default duration, and 0 means unlimited', () => {
    const d = doc([rule('Any', '', 'Trigger', [], { id: 't' })], { defaultTriggerDuration: 3600 });
    expect(evaluate(d, SSH_SYN, createState(0)).stateChanges.triggered[0]?.timeout).toBe(3600);
    const u = doc([rule('Any', '', 'Trigger')], { defaultTriggerDuration: 0 });
    expect(
      evaluate(u, SSH_SYN, createState(0)).state.tables.triggered['10.0.0.5']?.expires,
    ).toBeNull();
  });

  it('does not touch the input state', () => {
    const state = createState(0);
    evaluate(tree(), pkt('in eth0 tcp 192.0.2.9:4000 > 10.0.0.1:23'), state);
    expect(state.tables.triggered).toEqual({});
  });

  it('a Trigger with a Pass child records and deletes: the child changes nothing', () => {
    const d = doc([rule('Any', '', 'Trigger', [rule('Dest port', '22', 'Pass')], { id: 't' })]);
    const r = evaluate(d, SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.stateChanges.triggered.map((c) => c.address)).toEqual(['10.0.0.5']);
  });

  it('a Trigger under a Pass parent still records the address, and the packet passes', () => {
    const d = doc([
      rule('Dest port', '22', 'Pass', [rule('Any', '', 'Trigger', [], { id: 't' })], {
        id: 'p',
      }),
    ]);
    const r = evaluate(d, SSH_SYN);
    expect(r).toMatchObject({ verdict: 'pass', verdictRuleId: 'p', logEvents: [] });
    expect(r.stateChanges.triggered).toMatchObject([{ table: 'triggered', ruleId: 't' }]);
    expect(r.state.tables.triggered['10.0.0.5']).toBeDefined();
  });

  it('Keep invalid records the source in the invalid table, then goes on; Include == invalid tests it', () => {
    const d = doc([
      rule('Include', 'invalid', 'Delete', [], { id: 'bad' }),
      rule('TCP header flags', 'syn,fin', 'Keep invalid', [], { id: 'keep' }),
      rule('Any', '', 'Log', [], { id: 'on' }),
    ]);
    const first = evaluate(d, pkt('in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn,fin'));
    expect(first).toMatchObject({ verdict: 'pass', matched: ['keep', 'on'] });
    expect(first.stateChanges.triggered).toMatchObject([{ table: 'invalid', ruleId: 'keep' }]);
    expect(evaluate(d, SSH_SYN, first.state).verdictRuleId).toBe('bad');
  });

  it('Keep address fills the table that Include == address (and == kept) tests', () => {
    const keep = doc([
      rule('Include', 'address', 'Pass', [], { id: 'known' }),
      rule('Include', 'kept', 'Reject', [], { id: 'kept' }),
      rule('Dest port', '22', 'Keep address', [], { id: 'keep' }),
      rule('Any', '', 'Delete', [], { id: 'rest' }),
    ]);
    const first = evaluate(keep, SSH_SYN, createState(0));
    expect(first).toMatchObject({ verdict: 'delete', verdictRuleId: 'rest' });
    expect(first.stateChanges.triggered).toMatchObject([{ table: 'address', ruleId: 'keep' }]);
    const again = evaluate(keep, WEB_SYN, first.state);
    expect(again).toMatchObject({ verdict: 'pass', verdictRuleId: 'known' });
    const viaKept = doc([rule('Include', 'kept', 'Reject', [], { id: 'kept' })]);
    expect(evaluate(viaKept, WEB_SYN, first.state).verdictRuleId).toBe('kept');
  });
});

describe('§3.9 direction and interface', () => {
  it('Direction tests inbound and outbound', () => {
    const d = doc([rule('Direction', 'inbound', 'Delete', [], { id: 'in' })]);
    expect(evaluate(d, SSH_SYN).verdict).toBe('delete');
    expect(evaluate(d, pkt('out eth0 tcp 10.0.0.1:40000 > 10.0.0.5:22 flags syn')).verdict).toBe(
      'pass',
    );
  });
  it('Interface tests the arrival interface inbound and the leaving one outbound', () => {
    const d = doc([rule('Interface', 'eth1', 'Delete')]);
    expect(evaluate(d, pkt('in eth1 udp 10.0.0.5:1 > 10.0.0.1:2')).verdict).toBe('delete');
    expect(evaluate(d, pkt('out eth1 udp 10.0.0.1:1 > 10.0.0.5:2')).verdict).toBe('delete');
    expect(evaluate(d, pkt('in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).verdict).toBe('pass');
  });
  it('Interface wildcards and the external attribute', () => {
    const wg = doc([rule('Interface', 'wg*', 'Delete')]);
    expect(evaluate(wg, pkt('in wg3 udp 10.0.0.5:1 > 10.0.0.1:2')).verdict).toBe('delete');
    const ext = doc([rule('Interface', 'external', 'Delete')], { externalInterfaces: ['eth0'] });
    expect(evaluate(ext, pkt('in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).verdict).toBe('delete');
    expect(evaluate(ext, pkt('in eth1 udp 10.0.0.5:1 > 10.0.0.1:2')).verdict).toBe('pass');
  });
});

describe('§3.10 Group and Exit group', () => {
  it('Exit group ends the group with no verdict; testing goes on after the group', () => {
    const group = rule(
      'Protocol',
      'tcp',
      'Group',
      [
        rule('Dest port', '22', 'Exit group', [], { id: 'break' }),
        rule('Any', '', 'Delete', [], { id: 'rest' }),
      ],
      { id: 'g' },
    );
    const after = rule('Any', '', 'Log', [], { id: 'after' });
    const d = doc([group, after]);
    const ssh = evaluate(d, SSH_SYN);
    expect(ssh.verdict).toBe('pass');
    expect(ssh.tested).toEqual(['g', 'break', 'after']);
    expect(ssh.actions).toContainEqual({ ruleId: 'break', action: 'Exit group' });
    const web = evaluate(d, WEB_SYN);
    expect(web.verdict).toBe('delete');
    expect(web.verdictRuleId).toBe('rest');
  });

  it('an Exit group deep below ends the nearest Group, not just its parent', () => {
    const group = rule(
      'Any',
      '',
      'Group',
      [
        rule('Protocol', 'tcp', '->', [rule('Dest port', '22', 'Exit group', [], { id: 'brk' })], {
          id: 'tcp',
        }),
        rule('Any', '', 'Delete', [], { id: 'del' }),
      ],
      { id: 'g' },
    );
    const r = evaluate(doc([group, rule('Any', '', 'Reject', [], { id: 'rej' })]), SSH_SYN);
    expect(r.verdict).toBe('reject');
    expect(r.tested).toEqual(['g', 'tcp', 'brk', 'rej']);
  });

  it('nested groups: the inner one ends', () => {
    const inner = rule(
      'Any',
      '',
      'Group',
      [rule('Any', '', 'Exit group'), rule('Any', '', 'Delete', [], { id: 'innerDel' })],
      { id: 'inner' },
    );
    const outer = rule('Any', '', 'Group', [
      inner,
      rule('Any', '', 'Reject', [], { id: 'outerRej' }),
    ]);
    const r = evaluate(doc([outer]), SSH_SYN);
    expect(r.verdictRuleId).toBe('outerRej');
  });

  it('an Exit group with no Group above ends the top level (default policy)', () => {
    const r = evaluate(
      doc([rule('Any', '', 'Exit group'), rule('Any', '', 'Delete')], { defaultPolicy: 'pass' }),
      SSH_SYN,
    );
    expect(r.verdict).toBe('pass');
  });

  it("Exit group leaves at once: its own children never run (before, they ran and a child's verdict won)", () => {
    const group = rule(
      'Any',
      '',
      'Group',
      [
        rule('Dest port', '22', 'Exit group', [rule('Any', '', 'Delete', [], { id: 'child' })], {
          id: 'brk',
        }),
        rule('Any', '', 'Reject', [], { id: 'rest' }),
      ],
      { id: 'g' },
    );
    const r = evaluate(doc([group, rule('Any', '', 'Log', [], { id: 'after' })]), SSH_SYN);
    expect(r.verdict).toBe('pass');
    expect(r.tested).toEqual(['g', 'brk', 'after']);
    expect(r.steps.find((s) => s.ruleId === 'brk')?.effect).toBe('exit group');
  });

  it('an Exit group in the side-effect walk ends it (its Group is above the verdict)', () => {
    const d = doc([
      rule('Any', '', 'Group', [
        rule(
          'Any',
          '',
          'Delete',
          [
            rule('Any', '', 'Exit group', [], { id: 'brk' }),
            rule('Any', '', 'Log', [], { id: 'never' }),
          ],
          { id: 'del' },
        ),
      ]),
      rule('Any', '', 'Log', [], { id: 'after' }),
    ]);
    const r = evaluate(d, SSH_SYN);
    expect(r.verdict).toBe('delete');
    expect(r.tested).not.toContain('never');
    expect(r.tested).not.toContain('after');
  });

  it('a Group inside the side-effect walk catches its Exit group; the walk goes on after it', () => {
    const d = doc([
      rule(
        'Any',
        '',
        'Pass',
        [
          rule('Any', '', 'Group', [rule('Any', '', 'Exit group'), rule('Any', '', 'Log')], {
            id: 'g',
          }),
          rule('Any', '', 'Log', [], { id: 'next' }),
        ],
        { id: 'p' },
      ),
    ]);
    const r = evaluate(d, SSH_SYN);
    expect(r.verdict).toBe('pass');
    expect(r.logEvents).toEqual(['next']);
  });

  it('a Group that matches nothing terminating continues with its next sibling', () => {
    const r = evaluate(
      doc([
        rule('Any', '', 'Group', [rule('Dest port', '80', 'Delete')]),
        rule('Any', '', 'Reject', [], { id: 'x' }),
      ]),
      SSH_SYN,
    );
    expect(r.verdictRuleId).toBe('x');
  });
});

describe('§3.4 ++ skips the next rule in outline order', () => {
  const SKIP = '++';

  it('a matching ++ skips its next sibling with its subtree', () => {
    const d = doc([
      rule('Dest port', '22', SKIP, [], { id: 'skip' }),
      rule('Any', '', 'Delete', [rule('Any', '', 'Log')], { id: 'skipped' }),
      rule('Any', '', 'Reject', [], { id: 'next' }),
    ]);
    const ssh = evaluate(d, SSH_SYN);
    expect(ssh).toMatchObject({ verdict: 'reject', verdictRuleId: 'next' });
    expect(ssh.tested).toEqual(['skip', 'next']);
    expect(ssh.steps.map((s) => [s.ruleId, s.kind, s.effect])).toEqual([
      ['skip', 'match', 'skip next'],
      ['skipped', 'skipped', undefined],
      ['next', 'match', 'verdict'],
    ]);
    // Not matching, it skips nothing.
    expect(evaluate(d, WEB_SYN).verdictRuleId).toBe('skipped');
  });

  it('a ++ with children skips its first child (the next rule in outline order)', () => {
    const d = doc([
      rule(
        'Any',
        '',
        SKIP,
        [
          rule('Any', '', 'Delete', [], { id: 'first' }),
          rule('Any', '', 'Reject', [], { id: 'second' }),
        ],
        { id: 'skip' },
      ),
    ]);
    expect(evaluate(d, SSH_SYN)).toMatchObject({ verdict: 'reject', verdictRuleId: 'second' });
  });

  it('a ++ that is the last of its list skips what follows its parent', () => {
    const d = doc([
      rule('Any', '', '->', [rule('Any', '', SKIP, [], { id: 'skip' })]),
      rule('Any', '', 'Delete', [], { id: 'skipped' }),
      rule('Any', '', 'Reject', [], { id: 'next' }),
    ]);
    expect(evaluate(d, SSH_SYN).verdictRuleId).toBe('next');
  });

  it('a disabled next rule is what gets skipped (nothing more)', () => {
    const d = doc([
      rule('Any', '', SKIP),
      rule('Any', '', 'Delete', [], { enabled: false }),
      rule('Any', '', 'Reject', [], { id: 'next' }),
    ]);
    expect(evaluate(d, SSH_SYN).verdictRuleId).toBe('next');
  });
});

describe('§3.9 routed packets are tested on arrival and on departure', () => {
  const ROUTED = pkt('routed eth0 eth1 tcp 10.0.0.5:40000 > 10.1.0.7:22 flags syn');

  it('inbound with the arrival interface, then outbound with the leaving one; counted in both', () => {
    const d = doc([
      rule('Any', '', 'Log', [], { id: 'all' }),
      rule('Direction', 'inbound', '->', [rule('Interface', 'eth0', 'Log', [], { id: 'in0' })], {
        id: 'in',
      }),
      rule('Direction', 'outbound', '->', [rule('Interface', 'eth1', 'Log', [], { id: 'out1' })], {
        id: 'out',
      }),
    ]);
    const r = evaluate(d, ROUTED);
    expect(r.verdict).toBe('pass');
    expect(r.matched).toEqual(['all', 'in', 'in0', 'all', 'out', 'out1']);
    expect(r.passes).toEqual([
      { pass: 'arrival', direction: 'inbound', interface: 'eth0', verdict: 'pass' },
      { pass: 'departure', direction: 'outbound', interface: 'eth1', verdict: 'pass' },
    ]);
    expect(r.steps.filter((s) => s.pass === 'departure').map((s) => s.ruleId)).toContain('out1');
  });

  it('a packet deleted on arrival is not tested on departure', () => {
    const d = doc([
      rule('Direction', 'inbound', 'Delete', [], { id: 'in' }),
      rule('Any', '', 'Log', [], { id: 'all' }),
    ]);
    const r = evaluate(d, ROUTED);
    expect(r).toMatchObject({ verdict: 'delete', verdictRuleId: 'in', matched: ['in'] });
    expect(r.passes?.map((p) => p.pass)).toEqual(['arrival']);
  });

  it('a packet passed on arrival can be deleted on departure', () => {
    const d = doc([rule('Interface', 'eth1', 'Reject', [], { id: 'out1' })]);
    const r = evaluate(d, ROUTED);
    expect(r).toMatchObject({ verdict: 'reject', verdictRuleId: 'out1', matched: ['out1'] });
  });

  it('the packet form writes and reads a routed packet', () => {
    expect(formatPacket(ROUTED)).toMatch(/^routed eth0 eth1 tcp /);
    expect(pkt(formatPacket(ROUTED))).toEqual(ROUTED);
  });
});

describe('§3.7 Include == state is connection tracking', () => {
  const d = doc([
    rule('Include', 'state', 'Pass', [], { id: 'known' }),
    rule('Dest port', '22', 'Pass', [], { id: 'ssh' }),
    rule('Any', '', 'Delete', [], { id: 'rest' }),
  ]);
  const syn = pkt('in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn');
  const synAck = pkt('out eth0 tcp 10.0.0.1:22 > 10.0.0.5:40000 flags syn,ack');
  const web = pkt('in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:80 flags syn');

  it('the first packet of a flow is not tracked; every later one, both ways, is', () => {
    const first = evaluate(d, syn, createState(0));
    expect(first.verdictRuleId).toBe('ssh');
    const reply = evaluate(d, synAck, first.state);
    expect(reply.verdictRuleId).toBe('known');
    // The second packet in the same direction before any reply is tracked too.
    expect(evaluate(d, syn, first.state).verdictRuleId).toBe('known');
  });

  it('a flow whose packets were deleted is not tracked', () => {
    const first = evaluate(d, web, createState(0));
    expect(first.verdict).toBe('delete');
    expect(evaluate(d, web, first.state).verdictRuleId).toBe('rest');
  });

  it('it is not the kept-address table', () => {
    const keep = doc([
      rule('Include', 'state', 'Pass', [], { id: 'known' }),
      rule('Any', '', 'Keep address', [], { id: 'keep' }),
      rule('Any', '', 'Delete', [], { id: 'rest' }),
    ]);
    const first = evaluate(keep, web, createState(0));
    expect(first.state.tables.address['10.0.0.5']).toBeDefined();
    const other = pkt('in eth0 tcp 10.0.0.5:40001 > 10.0.0.1:81 flags syn');
    expect(evaluate(keep, other, first.state).verdictRuleId).toBe('rest');
  });
});

describe('Parent match count: per packet, counting this packet', () => {
  const ping = pkt('in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8');
  const other = pkt('in eth0 icmp 10.0.0.6 > 10.0.0.1 type 8');

  it('the third match of the parent is the first the child sees at >= 3', () => {
    const d = doc([
      rule('ICMP type', '8', '->', [
        rule('Parent match count', '3', 'Delete', [], { id: 'flood', relation: '>=' }),
      ]),
    ]);
    let state = createState(0);
    const verdicts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = evaluate(d, ping, state);
      verdicts.push(r.verdict);
      state = r.state;
    }
    expect(verdicts).toEqual(['pass', 'pass', 'delete', 'delete']);
  });

  it('under an Include parent it counts per host', () => {
    const d = doc([
      rule('Include', 'authorized', '->', [
        rule('Parent match count', '3', 'Delete', [], { id: 'flood', relation: '>=' }),
      ]),
      rule('Any', '', 'Authorize', [], { parameter: 'unlimited' }),
    ]);
    let state = createState(0);
    const seq: string[] = [];
    for (const p of [ping, other, ping, other, ping]) {
      const r = evaluate(d, p, state);
      seq.push(r.verdict);
      state = r.state;
    }
    // Each host: recorded (1), seen (2), seen (3) -> deleted at its own third test.
    expect(seq).toEqual(['pass', 'pass', 'pass', 'pass', 'delete']);
  });

  it('Reset parent starts the count again', () => {
    const d = doc([
      rule('ICMP type', '8', '->', [
        rule('Parent match count', '2', 'Reset parent', [], { id: 'reset', relation: '>=' }),
        rule('Parent match count', '2', 'Delete', [], { id: 'flood', relation: '>=' }),
      ]),
    ]);
    let state = createState(0);
    const seq: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = evaluate(d, ping, state);
      seq.push(r.verdict);
      state = r.state;
    }
    expect(seq).toEqual(['pass', 'pass', 'pass']);
  });
});

describe('values and relations', () => {
  const verdictOf = (
    property: Parameters<typeof rule>[0],
    value: string,
    relation: Parameters<typeof rule>[4] extends infer O
      ? O extends { relation?: infer R }
        ? R
        : never
      : never,
    spec: string,
  ) => evaluate(doc([rule(property, value, 'Delete', [], { relation })]), pkt(spec)).verdict;

  it('ranges: == inside, != outside, >= and <=', () => {
    const s = 'in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:137 flags syn';
    expect(verdictOf('Dest port', '137-139', '==', s)).toBe('delete');
    expect(verdictOf('Dest port', '137-139', '!=', s)).toBe('pass');
    expect(verdictOf('Dest port', '140-150', '!=', s)).toBe('delete');
    expect(verdictOf('Dest port', '137', '>=', s)).toBe('delete');
    expect(verdictOf('Dest port', '138', '>=', s)).toBe('pass');
    expect(verdictOf('Dest port', '136', '<=', s)).toBe('pass');
    expect(verdictOf('Dest port', '1024', '<=', s)).toBe('delete');
  });

  it('prefixes and address ranges, IPv4 and IPv6', () => {
    expect(verdictOf('Source net', '10.0.0.0/8', '==', 'in eth0 udp 10.9.8.7:1 > 10.0.0.1:2')).toBe(
      'delete',
    );
    expect(verdictOf('Source net', '10.0.0.0/8', '!=', 'in eth0 udp 10.9.8.7:1 > 10.0.0.1:2')).toBe(
      'pass',
    );
    expect(
      verdictOf('Dest net', '10.0.0.1-10.0.0.9', '==', 'in eth0 udp 10.9.8.7:1 > 10.0.0.9:2'),
    ).toBe('delete');
    expect(
      verdictOf(
        'Source net',
        '2001:db8::/32',
        '==',
        'in eth0 udp [2001:db8::5]:1 > [2001:db8::1]:2',
      ),
    ).toBe('delete');
  });

  it('an address of the other family is outside the range: only != holds', () => {
    const v6 = 'in eth0 udp [2001:db8::5]:1 > [2001:db8::1]:2';
    expect(verdictOf('Source net', '10.0.0.0/8', '!=', v6)).toBe('delete');
    expect(verdictOf('Source net', '10.0.0.0/8', '<=', v6)).toBe('pass');
    expect(verdictOf('Source net', '10.0.0.0/8', '==', v6)).toBe('pass');
    expect(verdictOf('Source net', '10.0.0.0', '>=', v6)).toBe('pass');
  });

  it('a test of a header the packet lacks compares low: != and <= match, ==, >= and a=A do not', () => {
    const icmp = 'in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8';
    const udp = 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2';
    const tcp = 'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn';
    const cases: [Parameters<typeof rule>[0], string, string][] = [
      ['Dest port', '80', icmp],
      ['Source port', '1-1000', icmp],
      ['TCP header flags', 'syn', udp],
      ['TCP options', '2', udp],
      ['ICMP type', '8', tcp],
      ['ICMP code', '0', udp],
      ['ICMP type', '128', 'in eth0 icmpv6 fd00::1 > fd00::2 type 128'],
      ['Fragment offset', '0', 'in eth0 udp [fd00::1]:1 > [fd00::2]:2'],
      ['Owner UID', '0', `${udp} uid 0`],
    ];
    for (const [property, value, packet] of cases) {
      const got = (['==', '!=', '>=', '<=', 'a=A'] as const).map((rel) =>
        verdictOf(property, value, rel, packet),
      );
      expect(got, `${property} ${value} on ${packet}`).toEqual([
        'pass',
        'delete',
        'pass',
        'delete',
        'pass',
      ]);
    }
  });

  it('Dest port != 80 matches ICMP (the original compares the absent port low)', () => {
    expect(verdictOf('Dest port', '80', '!=', 'in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8')).toBe(
      'delete',
    );
  });

  it('IP options and TCP options lists: == all listed present, != none present', () => {
    const opts = (o: string) => `in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 options ${o}`;
    expect(verdictOf('IP options', '3,9', '==', opts('9'))).toBe('pass');
    expect(verdictOf('IP options', '3,9', '==', opts('3,9'))).toBe('delete');
    expect(verdictOf('IP options', '3,9', '!=', opts('9'))).toBe('pass');
    expect(verdictOf('IP options', '3,9', '!=', opts('7'))).toBe('delete');
    const tcpo = (o: string) => `in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn tcpoptions ${o}`;
    expect(verdictOf('TCP options', '2,3', '==', tcpo('2'))).toBe('pass');
    expect(verdictOf('TCP options', '2,3', '==', tcpo('2,3,4'))).toBe('delete');
    expect(verdictOf('TCP options', '2,3', '!=', tcpo('3'))).toBe('pass');
    expect(verdictOf('TCP options', '2,3', '!=', tcpo('4'))).toBe('delete');
  });

  it('TCP flags: listed on, - off, the rest do not matter', () => {
    expect(
      verdictOf(
        'TCP header flags',
        'syn,-ack',
        '==',
        'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn,ecn',
      ),
    ).toBe('delete');
    expect(
      verdictOf(
        'TCP header flags',
        'syn,-ack',
        '==',
        'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn,ack',
      ),
    ).toBe('pass');
    expect(
      verdictOf(
        'TCP header flags',
        'syn,-ack',
        '!=',
        'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags syn,ack',
      ),
    ).toBe('delete');
  });

  it('ICMP type and code, protocol names and numbers', () => {
    expect(
      verdictOf(
        'ICMP type',
        '8 (echo request)',
        '==',
        'in eth0 icmp 10.0.0.5 > 10.0.0.1 type echo-request',
      ),
    ).toBe('delete');
    expect(
      verdictOf('ICMP code', '3', '==', 'in eth0 icmp 10.0.0.5 > 10.0.0.1 type 3 code 3'),
    ).toBe('delete');
    expect(verdictOf('Protocol', '17 (UDP)', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe(
      'delete',
    );
    expect(verdictOf('Protocol', 'udp', '!=', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe('pass');
  });

  it('content: == exact bytes, a=A case-insensitive, != absent', () => {
    const s = 'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:80 flags ack,psh payload "GET /default.IDA?XXXX"';
    expect(verdictOf('Data content', 'default.ida', '==', s)).toBe('pass');
    expect(verdictOf('Data content', 'default.ida', 'a=A', s)).toBe('delete');
    expect(verdictOf('Data content', 'default.IDA', '==', s)).toBe('delete');
    expect(verdictOf('Data content', 'cmd.exe', '!=', s)).toBe('delete');
  });

  it('fragment offset, IP options, length, TTL, DSCP, IP version, connection state', () => {
    expect(
      verdictOf('Fragment offset', '1-63', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 frag 5'),
    ).toBe('delete');
    expect(verdictOf('Fragment offset', '1-63', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe(
      'pass',
    );
    expect(
      verdictOf(
        'IP options',
        '3,9 (source route)',
        '!=',
        'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 options 9',
      ),
    ).toBe('pass');
    expect(
      verdictOf('Packet length', '1000', '>=', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 len 1200'),
    ).toBe('delete');
    expect(verdictOf('TTL', '1', '<=', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 ttl 1')).toBe('delete');
    expect(verdictOf('DSCP', 'ef', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 dscp 46')).toBe(
      'delete',
    );
    expect(verdictOf('IP version', '6', '==', 'in eth0 udp [fd00::1]:1 > [fd00::2]:2')).toBe(
      'delete',
    );
    expect(
      verdictOf(
        'Connection state',
        'established,related',
        '==',
        'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags ack state established',
      ),
    ).toBe('delete');
    expect(
      verdictOf(
        'Connection state',
        'new',
        '==',
        'in eth0 tcp 10.0.0.5:1 > 10.0.0.1:2 flags ack state established',
      ),
    ).toBe('pass');
  });

  it('a timer rule matches a packet only while the helper holds its flag (state.timerFlags)', () => {
    const ping = pkt('in eth0 icmp 10.0.0.5 > 10.0.0.1 type 8');
    const quiet = rule('Parent idle seconds', '30', 'Reset parent', [], {
      id: 'quiet',
      relation: '>=',
    });
    const flood = rule('Parent match count', '50', 'Delete no log', [], {
      id: 'flood',
      relation: '>=',
    });
    const log = rule('Any', '', 'Log', [], { id: 'log' });
    const d = doc([rule('ICMP type', '8', '->', [quiet, flood, log], { id: 'echo' })]);
    const off = evaluate(d, ping, createState());
    expect(off).toMatchObject({ verdict: 'pass', matched: ['echo', 'log'], logEvents: ['log'] });
    const on = evaluate(d, ping, { ...createState(), timerFlags: { quiet: true, flood: true } });
    expect(on).toMatchObject({ verdict: 'delete', verdictRuleId: 'flood', logged: false });
    // Reset parent runs from the helper's timer: no NFLOG event per packet.
    expect(on.matched).toEqual(['echo', 'quiet', 'flood']);
    expect(on.logEvents).toEqual([]);
    expect(on.state.timerFlags).toEqual({ quiet: true, flood: true });
    expect(evaluate(d, ping, { ...createState(), timerFlags: { flood: false } }).verdict).toBe(
      'pass',
    );
  });

  it('timer properties never match a packet without their flag (counts are per packet)', () => {
    for (const property of ['Idle seconds', 'Parent idle seconds'] as const) {
      expect(verdictOf(property, '0', '>=', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe('pass');
    }
    expect(verdictOf('Parent match rate', '50', '>=', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe(
      'pass',
    );
  });

  it('Any matches everything, None nothing', () => {
    expect(verdictOf('Any', '', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe('delete');
    expect(verdictOf('None', '', '==', 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2')).toBe('pass');
  });

  it('time of day and day of week use the packet time', () => {
    // 2026-11-23 (a Monday) 12:30 UTC.
    const noon = 'in eth0 udp 10.0.0.5:1 > 10.0.0.1:2 time 2026-11-23T12:30:00Z';
    expect(verdictOf('Time of day', '12:00-13:00', '==', noon)).toBe('delete');
    expect(verdictOf('Time of day', '22:00-06:00', '==', noon)).toBe('pass');
    expect(verdictOf('Day of week', 'Mon-Fri', '==', noon)).toBe('delete');
    expect(verdictOf('Day of week', 'weekend', '==', noon)).toBe('pass');
    expect(verdictOf('Date and time', '2026-12-31T00:00Z', '==', noon)).toBe('delete');
    expect(verdictOf('Date and time', '2026-01-01T00:00Z', '==', noon)).toBe('pass');
  });

  it('Rate: within the rate for the first packets, over it after', () => {
    const d = doc([rule('Rate', '2/s', 'Delete', [], { id: 'rate' })]);
    let state = createState(0);
    const verdicts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = evaluate(d, SSH_SYN, state);
      verdicts.push(r.verdict);
      state = r.state;
    }
    expect(verdicts).toEqual(['pass', 'pass', 'delete', 'delete']);
    expect(evaluate(d, SSH_SYN, advance(state, 1)).verdict).toBe('pass');
  });

  it('an unparsable value never matches and is reported', () => {
    const r = evaluate(doc([rule('Dest port', '70000', 'Delete', [], { id: 'bad' })]), SSH_SYN);
    expect(r.verdict).toBe('pass');
    expect(r.problems[0]?.ruleId).toBe('bad');
    expect(r.problems[0]?.message).toContain('out of range');
  });
});

describe('issue 13: Port forward translates on arrival, before the walk; Route to ends the walk', () => {
  const nat = () =>
    doc(
      [
        rule(
          'Interface',
          'external',
          '->',
          [
            rule('Dest port', '2222', 'Port forward', [], { id: 'pf', parameter: '10.9.0.2:22' }),
            rule('Dest port', '8080', 'Port forward', [], { id: 'pf6', parameter: '[fd09::2]:80' }),
          ],
          { id: 'ext' },
        ),
        rule('Direction', 'inbound', '->', [
          rule('Interface', 'external', 'Delete', [], { id: 'wall' }),
        ]),
      ],
      { externalInterfaces: ['eth0'] },
    );

  it('the first Port forward whose path holds translates and passes the packet, without the walk', () => {
    const r = evaluate(nat(), pkt('in eth0 tcp 10.8.0.2:40000 > 10.8.0.1:2222 flags syn'));
    expect(r.verdict).toBe('pass');
    expect(r.verdictRuleId).toBe('pf');
    expect(r.verdictAction).toBe('Port forward');
    expect(r.translated).toEqual({ dst: '10.9.0.2', dstPort: 22 });
    // Only the Port forward counts: its ancestors are tested, not walked; the wall never runs.
    expect(r.matched).toEqual(['pf']);
    const routed = evaluate(nat(), pkt('routed eth0 eth1 tcp [2001:db8::7]:4000 > [fd08::1]:8080'));
    expect(routed.verdictRuleId).toBe('pf6');
    expect(routed.translated).toEqual({ dst: 'fd09::2', dstPort: 80 });
    expect(routed.passes?.map((p) => p.pass)).toEqual(['arrival']);
    // The second oracle agrees.
    for (const spec of [
      'in eth0 tcp 10.8.0.2:40000 > 10.8.0.1:2222 flags syn',
      'routed eth0 eth1 tcp [2001:db8::7]:4000 > [fd08::1]:8080',
      'in eth0 tcp 10.8.0.2:40000 > 10.8.0.1:2223 flags syn',
      'in eth0 tcp [2001:db8::7]:4000 > [fd08::1]:2222',
    ]) {
      const d = nat();
      const a = evaluate(d, pkt(spec));
      const b = tableWalk(d, pkt(spec));
      expect([b.verdict, b.verdictRuleId, b.matched]).toEqual([
        a.verdict,
        a.verdictRuleId,
        a.matched,
      ]);
    }
  });

  it('a packet no Port forward translates is walked, and Port forward rules never match there', () => {
    const other = evaluate(nat(), pkt('in eth0 tcp 10.8.0.2:40000 > 10.8.0.1:2223 flags syn'));
    expect(other.verdictRuleId).toBe('wall');
    expect(other.matched[0]).toBe('ext');
    expect(other.matched.at(-1)).toBe('wall');
    expect(other.matched).not.toContain('pf');
    // The IPv4 target does not apply to IPv6, nor a target with a port to ICMP.
    expect(
      evaluate(nat(), pkt('in eth0 tcp [2001:db8::7]:4000 > [fd08::1]:2222')).verdictRuleId,
    ).toBe('wall');
    const icmp = doc([rule('Any', '', 'Port forward', [], { id: 'p', parameter: '10.9.0.2:22' })]);
    expect(
      evaluate(icmp, pkt('in eth0 icmp 10.8.0.2 > 10.8.0.1 type 8')).translated,
    ).toBeUndefined();
    // Outbound packets are never translated.
    expect(
      evaluate(nat(), pkt('out eth0 tcp 10.8.0.1:40000 > 10.8.0.2:2222')).translated,
    ).toBeUndefined();
  });

  it('Route to decides and never walks its children (IPNetSentryX kActionRouteTo)', () => {
    const d = doc([
      rule('Direction', 'outbound', '->', [
        rule('Dest net', '10.50.0.0/16', 'Route to', [rule('Any', '', 'Log', [], { id: 'kid' })], {
          id: 'rt',
          parameter: '10.72.0.2',
        }),
      ]),
    ]);
    const r = evaluate(d, pkt('out eth0 udp 10.0.0.1:5000 > 10.50.1.9:9'));
    expect(r.verdict).toBe('route to');
    expect(r.verdictRuleId).toBe('rt');
    expect(r.matched).not.toContain('kid');
  });
});

describe('Rate limit out with a byte rate shapes: never a verdict (issue 13 C)', () => {
  it('1,000 full-size packets over the rate are all passed, through its children; a packet rate deletes', () => {
    const shaped = doc([
      rule('Protocol', 'udp', 'Rate limit out', [rule('Any', '', 'Log', [], { id: 'c' })], {
        id: 'rl',
        parameter: '8K', // 1,000 bytes per second
      }),
    ]);
    const policed = doc([
      rule('Protocol', 'udp', 'Rate limit out', [], { id: 'rl', parameter: '1/s' }),
    ]);
    const big = pkt('out eth0 udp 10.0.0.1:5000 > 10.0.0.2:53 len 1400');
    for (const d of [shaped, policed]) {
      const verdicts: string[] = [];
      for (const walk of [evaluate, tableWalk]) {
        let state = createState(0);
        for (let i = 0; i < 1000; i++) {
          const r = walk(d, big, state);
          verdicts.push(r.verdict);
          state = r.state; // all in the same second
        }
      }
      if (d === shaped) expect(new Set(verdicts)).toEqual(new Set(['pass']));
      else expect(verdicts.filter((v) => v === 'delete').length).toBeGreaterThan(1900);
    }
  });
});

describe('issue 13: Delay holds arriving packets (IPNetSentryX kActionDelay, kftDelay.c)', () => {
  const d = () =>
    doc([
      rule('Protocol', 'icmp', 'Delay', [rule('Any', '', 'Log', [], { id: 'kid' })], {
        id: 'dl',
        parameter: '300ms',
      }),
      rule('Any', '', 'Delete', [], { id: 'after' }),
    ]);

  it('an arriving packet: verdict delay (delivered later), the walk ends, its children never run', () => {
    const r = evaluate(d(), pkt('in eth0 icmp 10.0.0.2 > 10.0.0.1 type 8'));
    expect(r.verdict).toBe('delay');
    expect(r.verdictRuleId).toBe('dl');
    expect(r.matched).toEqual(['dl']);
    expect(r.logEvents).toEqual([]);
  });

  it('a packet the host sends passes at once (KFT_delayAdd holds inbound packets only)', () => {
    const r = evaluate(d(), pkt('out eth0 icmp 10.0.0.1 > 10.0.0.2 type 8'));
    expect(r.verdict).toBe('pass');
    expect(r.verdictRuleId).toBe('dl');
    expect(r.matched).toEqual(['dl']);
  });

  it('the table walk agrees, both ways', () => {
    for (const spec of [
      'in eth0 icmp 10.0.0.2 > 10.0.0.1 type 8',
      'out eth0 icmp 10.0.0.1 > 10.0.0.2 type 8',
    ]) {
      const e = evaluate(d(), pkt(spec));
      const t = tableWalk(d(), pkt(spec));
      expect([t.verdict, t.verdictRuleId, t.matched, t.logEvents]).toEqual([
        e.verdict,
        e.verdictRuleId,
        e.matched,
        e.logEvents,
      ]);
    }
  });
});
