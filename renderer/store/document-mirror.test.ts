import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ruleTree, xmlValue } from '../../shared/plist/test-arbitraries.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { deleteRules, moveRules, setEnabled, updateRule } from '../../shared/model/tree.ts';
import { MirrorReceiver, MirrorSender } from './document-mirror.ts';

const ids = (rules: readonly Rule[]): string[] => rules.flatMap((r) => [r.id, ...ids(r.children)]);

/** Every message a structured clone away, as postMessage delivers it. */
function deliver(
  sender: MirrorSender,
  receiver: MirrorReceiver,
  document: FirewallDocument,
  outOfTime?: () => boolean,
): { document: FirewallDocument; patches: number } {
  let patches = 0;
  for (;;) {
    const { messages, root } = sender.sync(document, outOfTime);
    for (const m of messages) {
      patches += m.patches.length;
      receiver.apply(structuredClone(m));
    }
    if (root) return { document: receiver.document(structuredClone(root)), patches };
  }
}

describe('document mirror', () => {
  it('brings the receiver to the same document, in slices, and after edits sends only the replaced rules', () => {
    fc.assert(
      fc.property(
        ruleTree('xml'),
        fc.option(xmlValue, { nil: undefined }),
        fc.nat(),
        fc.nat(),
        (rules, extra, a, b) => {
          const all = ids(rules);
          fc.pre(all.length >= 2);
          const sender = new MirrorSender();
          const receiver = new MirrorReceiver();
          let document: FirewallDocument = { rules, settings: { ...DEFAULT_SETTINGS } };
          if (extra !== undefined) document.extra = { k: extra };
          const first = deliver(sender, receiver, document, () => true);
          expect(first.document).toEqual(document);
          expect(first.patches).toBe(all.length);
          const one = all[a % all.length]!;
          const two = all[b % all.length]!;
          document = { ...document, rules: setEnabled(document.rules, [one], false) };
          const edited = deliver(sender, receiver, document);
          expect(edited.document).toEqual(document);
          // The edited rule and its ancestors, nothing else.
          expect(edited.patches).toBeLessThanOrEqual(4);
          document = { ...document, rules: updateRule(document.rules, two, { value: 'x' }) };
          expect(deliver(sender, receiver, document).document).toEqual(document);
          const moved = moveRules(document.rules, [two], null, 0);
          document = { ...document, rules: moved };
          expect(deliver(sender, receiver, document).document).toEqual(document);
          document = { ...document, rules: deleteRules(document.rules, [one]) };
          expect(deliver(sender, receiver, document).document).toEqual(document);
        },
      ),
      { numRuns: 200 },
    );
  });
});
