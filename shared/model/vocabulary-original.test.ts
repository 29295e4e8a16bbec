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

describe('values as the original reads them', () => {
  const v = (p: Parameters<typeof parseValue>[0], text: string) => parseValue(p, text);
  it('ignores a trailing comment, nested or not', () => {
    expect(v('Dest port', '548 (AFP (AppleShare))')).toEqual({
      ok: true,
      value: { kind: 'range', range: { min: 548, max: 548 } },
    });
    expect(v('Dest port', '137-139 (NetBIOS) (Windows)')).toMatchObject({
      value: { range: { min: 137, max: 139 } },
    });
    expect(v('Interface', 'Modem (PPP (ppp0))')).toEqual({
      ok: true,
      value: { kind: 'interface', name: 'ppp0' },
    });
    // Content is never a comment.
    expect(v('Data content', 'a (b)')).toMatchObject({ value: { text: 'a (b)' } });
  });

  it('takes a leading number followed by words, but not a typo or a range', () => {
    expect(v('Protocol', '6 TCP')).toMatchObject({ value: { number: 6 } });
    expect(v('ICMP type', '8 echo request')).toMatchObject({ value: { range: { min: 8 } } });
    expect(v('Dest port', '80x').ok).toBe(false);
    expect(v('Dest port', '1024 - 65535')).toMatchObject({
      value: { range: { min: 1024, max: 65535 } },
    });
  });

  it('reads Date and time as seconds since 1970, as the original stores it', () => {
    expect(v('Date and time', '1893456000')).toMatchObject({
      value: { kind: 'dateTime', epochSeconds: 1893456000 },
    });
    expect(v('Parent match rate', '10K')).toMatchObject({
      value: { rate: { amount: 10000, unit: 'packets', perSeconds: 1 } },
    });
  });
});

describe('Data content as the original writes it', () => {
  it('reads the search window and the backslash escapes', () => {
    const r = parseValue('Data content', '[0:64]&-format=-raw&');
    expect(r).toMatchObject({
      ok: true,
      value: { kind: 'content', window: { offset: 0, length: 64 } },
    });
    if (r.ok && r.value.kind === 'content') {
      expect(new TextDecoder().decode(r.value.bytes)).toBe('&-format=-raw&');
    }
    expect(parseValue('Data content', '[+4,10,13]GET')).toMatchObject({
      value: { window: { offset: 4, length: 10, relative: '+', delimiter: 13 } },
    });
    const esc = parseValue('Data content', 'a\\r\\nb\\\\tc');
    if (!esc.ok || esc.value.kind !== 'content') throw new Error('not content');
    expect([...esc.value.bytes]).toEqual([97, 13, 10, 98, 9, 99]);
    expect(parseValue('Data content', 'winnt')).toMatchObject({ value: { text: 'winnt' } });
    expect(parseValue('Data content', '[0:8]').ok).toBe(false);
  });
});
