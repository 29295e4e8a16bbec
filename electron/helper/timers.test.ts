// Timer rules (Idle seconds, Parent match count/rate/byte count) evaluated once a second.
import { describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import type { Rule } from '../../shared/model/types.ts';
import { TimerRules, type TimerFire } from './timers.ts';

describe('TimerRules', () => {
  const r = (id: string, p: Partial<Rule>): Rule => createRule({ id, ...p });
  const rules = [
    r('probe', {
      property: 'Idle seconds',
      relation: '>=',
      value: '60',
      action: 'URL',
      parameter: 'ping://192.0.2.1',
    }),
    r('server', {
      property: 'Source net',
      value: '192.0.2.1',
      action: '->',
      children: [
        r('down', {
          property: 'Parent idle seconds',
          relation: '>=',
          value: '200',
          action: 'Notify',
          children: [r('reset', { property: 'Any', action: 'Reset parent' })],
        }),
        r('busy', { property: 'Parent match count', relation: '>=', value: '3', action: 'Alert' }),
      ],
    }),
  ];
  const numbers = new Map([
    ['probe', '1'],
    ['server', '2'],
    ['down', '2.1'],
    ['reset', '2.1.1'],
    ['busy', '2.2'],
  ]);

  it('fires Idle seconds periodically, Parent tests once per edge, and runs Any children', () => {
    const fired: TimerFire[] = [];
    const t = new TimerRules((f) => fired.push(f));
    const t0 = 1_000_000;
    t.reset(rules, numbers, t0);
    const lastChange = new Map([['server', t0]]);
    const at = (s: number, packets: number) => {
      fired.length = 0;
      t.tick({ server: { packets, bytes: packets * 100 } }, lastChange, t0 + s * 1000);
      return fired.map((f) => f.rule.id);
    };
    expect(at(30, 0)).toEqual([]);
    expect(at(60, 0)).toEqual(['probe']);
    expect(at(61, 0)).toEqual([]);
    expect(at(120, 0)).toEqual(['probe']);
    lastChange.set('server', t0 + 121_000);
    expect(at(122, 3)).toEqual(['busy']); // count reached 3: fires once
    expect(at(123, 4)).toEqual([]);
    expect(at(330, 4)).toEqual(['probe', 'down', 'reset']); // idle 209 s; Any child fires too
    expect(at(331, 4)).toEqual([]);
    expect(fired).toEqual([]);
    expect(t.rules.map((x) => x.number)).toEqual(['1', '2.1', '2.2']);
  });

  it('fires Parent match rate when the rate of the parent reaches the value', () => {
    const fired: string[] = [];
    const t = new TimerRules((f) => fired.push(f.rule.id));
    const doc = [
      r('srv', {
        property: 'Source net',
        value: '192.0.2.1',
        action: '->',
        children: [
          r('flood', {
            property: 'Parent match rate',
            relation: '>=',
            value: '10',
            action: 'Alert',
          }),
          r('bulk', {
            property: 'Parent match rate',
            relation: '>=',
            value: '1 kbytes/s',
            action: 'Alert',
          }),
        ],
      }),
    ];
    t.reset(
      doc,
      new Map([
        ['srv', '1'],
        ['flood', '1.1'],
        ['bulk', '1.2'],
      ]),
      0,
    );
    const tick = (s: number, packets: number, bytes: number) =>
      t.tick({ srv: { packets, bytes } }, new Map(), s * 1000);
    tick(1, 0, 0);
    tick(2, 5, 500); // 5 packets/s, 500 bytes/s
    expect(fired).toEqual([]);
    tick(3, 20, 700); // 15 packets/s
    expect(fired).toEqual(['flood']);
    tick(4, 40, 2700); // still flooding: no repeat; 2000 bytes/s
    expect(fired).toEqual(['flood', 'bulk']);
  });

  it('reports each rule flag (its test holds) when it changes: the ping-flood limit', () => {
    const changes: string[] = [];
    const t = new TimerRules(
      () => undefined,
      (id, holds) => changes.push(`${id} ${holds ? 'on' : 'off'}`),
    );
    const doc = [
      r('echo', {
        property: 'ICMP type',
        value: '8 (echo request)',
        action: '->',
        children: [
          r('quiet', {
            property: 'Parent idle seconds',
            relation: '>=',
            value: '30',
            action: 'Reset parent',
          }),
          r('flood', {
            property: 'Parent match count',
            relation: '>=',
            value: '50',
            action: 'Delete no log',
          }),
        ],
      }),
    ];
    const numbers = new Map([
      ['echo', '1'],
      ['quiet', '1.1'],
      ['flood', '1.2'],
    ]);
    t.reset(doc, numbers, 0);
    const lastChange = new Map<string, number>();
    const tick = (s: number, packets: number) => {
      if (packets > 0) lastChange.set('echo', s * 1000);
      changes.length = 0;
      // The service runs Reset parent when 'quiet' fires; here the fire callback does nothing.
      t.tick({ echo: { packets, bytes: packets * 84 } }, lastChange, s * 1000);
      return [...changes];
    };
    expect(tick(1, 10)).toEqual([]);
    expect(tick(2, 60)).toEqual(['flood on']);
    expect(t.flags).toEqual(['flood']);
    expect(tick(3, 70)).toEqual([]); // still flooding: no change, no repeat
    t.resetParent(doc[0]!, { echo: { packets: 70, bytes: 0 } }, 40_000);
    expect(tick(40, 70)).toEqual(['flood off']);
    expect(t.flags).toEqual([]);
    // An apply starts over: every flag false (the new table's set is empty), no events.
    expect(tick(41, 200)).toEqual(['flood on']);
    t.reset(doc, numbers, 42_000);
    expect(t.flags).toEqual([]);
  });
});
