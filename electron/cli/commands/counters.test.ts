import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../shared/model/types.ts';
import { labelled, namesById } from './counters.ts';

const rule = (id: string, name: string, children: Rule[] = []): Rule => ({
  id,
  enabled: true,
  name,
  property: 'Any',
  relation: '==',
  value: '',
  action: '->',
  parameter: '',
  children,
  expanded: false,
});

describe('counters --json labels', () => {
  it("puts each rule's current number and name beside its counts", () => {
    const names = namesById([rule('a', 'inbound', [rule('b', 'ssh')]), rule('c', '')]);
    expect(names).toEqual({ a: 'inbound', b: 'ssh', c: '' });
    const out = labelled(
      { b: { packets: 3, bytes: 180 }, gone: { packets: 1, bytes: 60 } },
      { a: '1', b: '1.1', c: '2' },
      names,
    );
    expect(out).toEqual({
      b: { number: '1.1', name: 'ssh', packets: 3, bytes: 180 },
      gone: { packets: 1, bytes: 60 },
    });
    expect(JSON.stringify(out.b)).toBe('{"number":"1.1","name":"ssh","packets":3,"bytes":180}');
  });
});
