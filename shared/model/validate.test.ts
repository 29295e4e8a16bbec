import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from './types.ts';
import { createRule } from './tree.ts';
import { formatProblem, validateDocument, validateRule } from './validate.ts';
import { createParseCache } from './values.ts';

let seq = 0;
const rule = (partial: Partial<Rule>): Rule => createRule({ id: `r${++seq}`, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });

/** Rule 2.6.1.1.17 of the walk-through, with a bad port placed at 2.6.1.1.2. */
function protectServers(badPort: string): Rule[] {
  const services = [
    rule({ property: 'Dest port', value: '22 (SSH)', action: 'Pass' }),
    rule({ property: 'Dest port', value: badPort, action: 'Pass' }),
  ];
  for (let i = 0; i < 14; i++)
    services.push(rule({ property: 'Dest port', value: String(1000 + i), action: 'Pass' }));
  services.push(rule({ property: 'Any', action: 'Delete' }));
  return [
    rule({ name: 'apply first' }),
    rule({
      children: [
        ...[1, 2, 3, 4, 5].map(() => rule({})),
        rule({
          property: 'Direction',
          value: 'inbound',
          children: [
            rule({
              property: 'Interface',
              value: 'external',
              children: [
                rule({
                  property: 'TCP header flags',
                  value: 'syn,-ack',
                  action: 'Group',
                  children: services,
                }),
              ],
            }),
          ],
        }),
      ],
    }),
  ];
}

describe('validateDocument', () => {
  it('accepts a valid document', () => {
    expect(validateDocument(doc(protectServers('443 (HTTPS)')))).toEqual([]);
  });

  it('numbers problems by position and words them like the CLI prints them', () => {
    const rules = protectServers('70000');
    const problems = validateDocument(doc(rules));
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p).toMatchObject({
      number: '2.6.1.1.2',
      field: 'value',
      message: 'Dest port 70000 is out of range (0-65535)',
    });
    expect(formatProblem(p!)).toBe('rule 2.6.1.1.2: Dest port 70000 is out of range (0-65535)');
  });

  it('reports every problem, not just the first', () => {
    const problems = validateDocument(
      doc([
        rule({ property: 'Dest port', value: '99999', action: 'Trigger', parameter: '0.5' }),
        rule({ property: 'Source net', relation: '>=', value: '10.0.0.0/8' }),
      ]),
    );
    expect(problems.map((p) => `${p.number} ${p.field} ${p.message}`)).toEqual([
      '1 value Dest port 99999 is out of range (0-65535)',
      '1 parameter Trigger duration 0.5 is shorter than 1 second',
      '2 relation Source net does not take >= (use == or !=)',
    ]);
  });

  it('refuses Exit group outside a Group, anywhere inside one is fine', () => {
    const inside = rule({
      action: 'Group',
      children: [rule({ children: [rule({ action: 'Exit group' })] })],
    });
    const outside = rule({ children: [rule({ action: 'Exit group' })] });
    const problems = validateDocument(doc([inside, outside]));
    expect(problems).toEqual([
      {
        severity: 'error',
        ruleId: outside.children[0]!.id,
        number: '2.1',
        field: 'action',
        message: 'Exit group is only valid inside a Group',
      },
    ]);
  });

  it('finds duplicate and malformed ids', () => {
    const a = rule({});
    const problems = validateDocument(
      doc([a, { ...rule({}), id: a.id }, rule({ id: 'has space' })]),
    );
    expect(problems.map((p) => p.message)).toEqual([
      `Rule id "${a.id}" is also used by rule 1`,
      'Rule id "has space" is not 1-32 letters, digits, _ or -',
    ]);
  });

  it('checks names read from files at run time', () => {
    const bad = {
      ...rule({}),
      property: 'Colour',
      relation: '~',
      action: 'Explode',
    } as unknown as Rule;
    expect(validateDocument(doc([bad])).map((p) => p.field)).toEqual([
      'property',
      'relation',
      'action',
    ]);
  });

  it('needs a parent for Parent tests and Reset parent', () => {
    const problems = validateDocument(
      doc([
        rule({
          property: 'Parent match count',
          relation: '>=',
          value: '50',
          action: 'Reset parent',
        }),
      ]),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'Parent match count needs a parent rule',
      'Reset parent needs a parent rule',
    ]);
    const nested = rule({
      children: [
        rule({ property: 'Parent match count', relation: '>=', value: '50', action: 'Delete' }),
      ],
    });
    expect(validateDocument(doc([nested]))).toEqual([]);
  });

  it('refuses a verdict on an Idle seconds timer rule', () => {
    expect(
      validateRule(
        rule({ property: 'Idle seconds', relation: '>=', value: '60', action: 'Pass' }),
        '3',
      ).map((p) => p.message),
    ).toEqual(['Idle seconds is checked on a timer, not per packet: Pass has no packet to act on']);
  });

  it('checks settings', () => {
    const d = doc([]);
    d.settings = {
      ...d.settings,
      defaultTriggerDuration: -1,
      externalInterfaces: ['eth0'],
      internalInterfaces: ['eth0', 'bad name'],
    };
    expect(validateDocument(d).map(formatProblem)).toEqual([
      'Default trigger duration -1 is not a number of seconds (0 is unlimited)',
      'Internal interface "bad name" is not an interface name',
      'Interface eth0 is both external and internal',
    ]);
  });
});

describe('validateRule', () => {
  const check = (partial: Partial<Rule>) => validateRule(rule(partial), '1').map((p) => p.message);

  it('takes >= and <= with one number, not a range', () => {
    expect(check({ property: 'Dest port', relation: '>=', value: '1024' })).toEqual([]);
    expect(check({ property: 'Dest port', relation: '<=', value: '1-5' })).toEqual([
      'Dest port <= takes one number, not the range 1-5',
    ]);
    expect(check({ property: 'Time of day', relation: '>=', value: '08:00-09:00' })).toEqual([
      'Time of day >= takes one time (HH:MM), not a range',
    ]);
  });

  it('takes a=A only for content', () => {
    expect(check({ property: 'Data content', relation: 'a=A', value: 'get /' })).toEqual([]);
    expect(check({ property: 'Dest port', relation: 'a=A', value: '80' })).toEqual([
      'Dest port does not take a=A (use == or != or >= or <=)',
    ]);
  });

  it('refuses a parameter on actions without one', () => {
    expect(check({ action: 'Pass', parameter: '10' })).toEqual([
      'Pass takes no parameter (found "10")',
    ]);
  });

  it('checks context only when it is given', () => {
    expect(check({ action: 'Exit group' })).toEqual([]);
    expect(
      validateRule(rule({ action: 'Exit group' }), '1', { insideGroup: false }).map(
        (p) => p.message,
      ),
    ).toEqual(['Exit group is only valid inside a Group']);
  });
});

describe('validateDocument with a shared parse cache', () => {
  it('finds the same problems, parsing each distinct value once', () => {
    const rules = [
      ...protectServers('70000'),
      rule({ property: 'Dest port', value: '70000', action: 'Pass' }),
      rule({ property: 'Source net', value: '10.0.0.300', action: 'Delete' }),
      rule({ property: 'Source net', value: '10.0.0.300', action: 'Delete' }),
      rule({ property: 'Dest port', value: '22 (SSH)', relation: '>=', action: 'Pass' }),
    ];
    const cache = createParseCache();
    const withCache = validateDocument(doc(rules), cache);
    expect(withCache).toEqual(validateDocument(doc(rules)));
    expect(withCache.map(formatProblem)).toContain(
      'rule 4: Source net 10.0.0.300 is not an IPv4 or IPv6 address',
    );
    expect(withCache.map(formatProblem)).toContain(
      'rule 5: Source net 10.0.0.300 is not an IPv4 or IPv6 address',
    );
    // One entry per distinct text: the bad port appears twice, the bad address twice.
    expect(cache.values.get('Dest port')?.has('70000')).toBe(true);
    expect(cache.values.get('Source net')?.size).toBe(1);
    // A second document read through the same cache gets the same answers.
    expect(validateDocument(doc(rules), cache)).toEqual(withCache);
  });
});
