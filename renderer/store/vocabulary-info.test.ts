import { describe, expect, it } from 'vitest';
import { menuItems } from './vocabulary-info.ts';

const refused = (field: 'property' | 'action') =>
  menuItems(field, 'Any')
    .filter((i) => i.refused)
    .map((i) => i.name);

describe('menu items', () => {
  it('mark only what Apply refuses wherever the rule sits (the compiler asked)', () => {
    // Delay needs packets held in userspace: refused everywhere. Route to, Port forward and the
    // payload search compile (Route to under Direction == outbound, with a next hop).
    expect(refused('action')).toEqual(['Delay']);
    expect(refused('property')).toEqual([]);
  });
});
