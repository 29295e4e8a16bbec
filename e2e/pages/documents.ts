// Runtime: Node (Playwright test data). Small documents the outline specs open, built with the
// model's own constructor so they are valid by construction.

import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';

export const document = (rules: Rule[]): FirewallDocument => ({
  rules,
  settings: { ...DEFAULT_SETTINGS },
});

export const emptyDocument = (): FirewallDocument => document([]);

/**
 * 1 inbound (expanded)  -> 1.1 ssh Dest port 22 Pass, 1.2 web Dest port 80 Pass
 * 2 outbound (collapsed) -> 2.1 Any Pass
 * 3 last: Any Delete
 */
export const smallDocument = (): FirewallDocument =>
  document([
    createRule({
      name: 'inbound',
      property: 'Direction',
      value: 'inbound',
      expanded: true,
      children: [
        createRule({
          name: 'ssh',
          property: 'Dest port',
          value: '22',
          action: 'Pass',
          expanded: false,
        }),
        createRule({
          name: 'web',
          property: 'Dest port',
          value: '80',
          action: 'Pass',
          expanded: false,
        }),
      ],
    }),
    createRule({
      name: 'outbound',
      property: 'Direction',
      value: 'outbound',
      expanded: false,
      children: [createRule({ name: 'anything', action: 'Pass', expanded: false })],
    }),
    createRule({ name: 'last', action: 'Delete', expanded: false }),
  ]);

/** IPNetSentryX's clipboard text of rule 2.3, from the walk-through (one copy, shared with the codec tests). */
export { WALKTHROUGH_RULE_2_3 } from '../../shared/plist/test-fixtures.ts';
