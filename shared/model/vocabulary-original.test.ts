import { describe, expect, it } from 'vitest';
import { validateRule } from './validate.ts';
import { parseValue } from './values.ts';
import { actionCode, originalName, propertyCode } from './vocabulary.ts';
import { ACTION_INFO } from './vocabulary-table.ts';
import type { Rule } from './types.ts';

const rule = (over: Partial<Rule>): Rule => ({
  id: 'r1',
  enabled: true,
  name: '',
  property: 'Any',
  relation: '==',
  value: '',
  action: '->',
  parameter: '',
  children: [],
  expanded: false,
  ...over,
});

describe('the original constructs ++, Keep invalid and Include == invalid', () => {
  it('are valid rules', () => {
    expect(validateRule(rule({ action: '++' }), '1')).toEqual([]);
    expect(validateRule(rule({ action: 'Keep invalid', parameter: '10 min' }), '1')).toEqual([]);
    expect(validateRule(rule({ property: 'Include', value: 'invalid' }), '1')).toEqual([]);
    expect(parseValue('Include', 'invalid')).toEqual({
      ok: true,
      value: { kind: 'include', table: 'invalid' },
    });
  });

  it('++ takes no parameter; Keep invalid goes on like Keep address', () => {
    expect(validateRule(rule({ action: '++', parameter: 'x' }), '1')[0]?.message).toMatch(
      /takes no parameter/,
    );
    expect(ACTION_INFO['++'].terminating).toBe(false);
    expect(ACTION_INFO['Keep invalid'].terminating).toBe(false);
  });

  it("carry the original's codes (FilterEntry.m)", () => {
    expect(actionCode('++')).toBe(1);
    expect(actionCode('Keep invalid')).toBe(9);
    expect(actionCode('Exit group')).toBe(3);
    expect(actionCode('Script')).toBe(22);
    expect(originalName('Script')).toBe('AppleScript');
    expect(propertyCode('Fragment offset')).toBe(11);
    expect(propertyCode('TCP options')).toBe(17);
    expect(propertyCode('Owner UID')).toBeUndefined();
    expect(actionCode('Masquerade')).toBeUndefined();
  });
});
