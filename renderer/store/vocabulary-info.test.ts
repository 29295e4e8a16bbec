import { describe, expect, it } from 'vitest';
import { menuItems } from './vocabulary-info.ts';

const refused = (field: 'property' | 'action') =>
  menuItems(field, 'Any')
    .filter((i) => i.refused)
    .map((i) => i.name);

describe('menu items', () => {
  it('mark only what Apply refuses wherever the rule sits (the compiler asked)', () => {
    // Every action compiles somewhere: Delay (held by the helper), Route to (under Direction ==
    // outbound, with a next hop), Port forward; so does every property (the payload search too).
    // Route to was marked refused when the menu tried it without a next hop.
    expect(refused('action')).toEqual([]);
    expect(refused('property')).toEqual([]);
  });
});
