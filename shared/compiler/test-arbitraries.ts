// Runtime: pure (shared/), test support only. fast-check arbitraries for generated rule trees
// over the compilable vocabulary, shared by the pure property tests (compile.test.ts) and the
// kernel test that runs generated documents through `nft -c` (electron/testing/).

import fc from 'fast-check';
import type { Rule } from '../model/types.ts';
import type { ActionName } from '../model/vocabulary.ts';
import { doc, r } from './golden/cases.ts';

const leafSpec = fc.constantFrom(
  ['Any', '==', ''],
  ['Direction', '==', 'inbound'],
  ['Direction', '!=', 'inbound'],
  ['Interface', '==', 'lo'],
  ['Interface', '!=', 'external'],
  ['Dest port', '==', '22'],
  ['Dest port', '==', '80'],
  ['Dest port', '==', '1000-2000'],
  ['Source port', '>=', '1024'],
  ['Source net', '==', '10.0.0.0/8'],
  ['Source net', '!=', 'fd00::/8'],
  ['Protocol', '==', 'udp'],
  ['TCP header flags', '==', 'syn,-ack'],
  ['Connection state', '==', 'established,related'],
  ['Include', '==', 'triggered'],
  ['ICMP type', '==', '8'],
  ['TTL', '<=', '5'],
) as fc.Arbitrary<[Rule['property'], Rule['relation'], string]>;

const actionSpec = fc.constantFrom<ActionName>(
  '->',
  'Group',
  'Exit group',
  'Pass',
  'Delete',
  'Delete no log',
  'Reject',
  'Drop connection',
  'Trigger',
  'Log',
  'Dont log',
  'Keep address',
  'Masquerade',
  'Alert',
);

const treeArb = fc.letrec((tie) => ({
  rule: fc.record({
    spec: leafSpec,
    action: actionSpec,
    enabled: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
    name: fc.string({ maxLength: 12 }),
    children: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant([]),
      fc.array(tie('rule'), { maxLength: 4 }),
    ),
  }),
})).rule;

type GenRule = {
  spec: [Rule['property'], Rule['relation'], string];
  action: ActionName;
  enabled: boolean;
  name: string;
  children: unknown[];
};

/** Give generated rules unique ids (some deliberately hostile) and model shape. */
function toRules(gen: GenRule[], counter: { n: number }): Rule[] {
  return gen.map((g) => {
    const n = counter.n++;
    const id =
      n === 5 ? '__proto__' : n === 6 ? 'constructor' : n % 7 === 3 ? `weird "${n}"\n;` : `g${n}`;
    return r(
      id,
      g.spec[0],
      g.spec[1],
      g.spec[2],
      g.action,
      toRules(g.children as GenRule[], counter),
      {
        enabled: g.enabled,
        name: g.name,
      },
    );
  });
}

export function effectiveIds(rules: Rule[], out: Set<string> = new Set()): Set<string> {
  for (const rule of rules) {
    if (!rule.enabled) continue;
    out.add(rule.id);
    effectiveIds(rule.children, out);
  }
  return out;
}

export const docsArb = fc
  .array(treeArb as fc.Arbitrary<GenRule>, { maxLength: 8 })
  .map((gen) => doc(toRules(gen, { n: 0 }), { externalInterfaces: ['eth0'] }));
