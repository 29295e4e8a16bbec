// Runtime: browser (renderer/). What the popup menus show: the vocabulary's names with a
// description of each for the tooltip, and only the relations the rule's property allows (the
// current relation stays listed even when it is not allowed, so the menu can show what is set).

import {
  ACTION_INFO,
  PROPERTY_INFO,
  RELATION_INFO,
  relationsFor,
} from '../../shared/model/vocabulary-table.ts';
import {
  ACTION_NAMES,
  PROPERTY_NAMES,
  type ActionName,
  type PropertyName,
  type RelationName,
} from '../../shared/model/vocabulary.ts';
import { compile } from '../../shared/compiler/index.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type Rule } from '../../shared/model/types.ts';

export type MenuFieldName = 'property' | 'relation' | 'action';

export interface MenuItem {
  name: string;
  description?: string;
  /** Why Apply refuses every rule with this property or action (the compiler's own words). */
  refused?: string;
}

/**
 * What the compiler refuses whatever the value: a one-rule document per property (with its first
 * example value) and per action, compiled, keeping the problem the compiler gives that field.
 * Asked of the compiler itself, so a menu never calls supported what Apply refuses, or the
 * reverse. Computed once, the first time a menu opens.
 */
function refusal(rule: Rule, field: 'property' | 'action'): string | undefined {
  // Refused wherever it sits: at the top, and under either direction (Owner UID is refused only
  // outside `Direction == outbound`; that is the row's problem, not the menu's).
  const places: Rule[][] = [
    [rule],
    ...(['inbound', 'outbound'] as const).map((value) => [
      createRule({ property: 'Direction', value, action: '->', children: [rule] }),
    ]),
  ];
  let message: string | undefined;
  for (const rules of places) {
    const result = compile({ rules, settings: { ...DEFAULT_SETTINGS } });
    const found = result.ok ? undefined : result.problems.find((p) => p.field === field);
    if (!found) return undefined;
    message ??= found.message;
  }
  return message;
}

let propertyItems: MenuItem[] | null = null;
let actionItems: MenuItem[] | null = null;

function propertyMenu(): MenuItem[] {
  propertyItems ??= PROPERTY_NAMES.map((name: PropertyName) => {
    const info = PROPERTY_INFO[name];
    const refused = refusal(
      createRule({
        property: name,
        relation: relationsFor(name)[0] ?? '==',
        value: info.examples[0] ?? '',
        action: 'Pass',
      }),
      'property',
    );
    return { name, description: info.description, ...(refused ? { refused } : {}) };
  });
  return propertyItems;
}

function actionMenu(): MenuItem[] {
  actionItems ??= ACTION_NAMES.map((name: ActionName) => {
    const info = ACTION_INFO[name];
    // With its first example parameter: a missing parameter is the row's problem, not the menu's.
    const parameter = info.parameterExamples[0] ?? info.parameterPlaceholder ?? '';
    const refused = refusal(createRule({ action: name, parameter }), 'action');
    const description = info.description;
    return { name, description, ...(refused ? { refused } : {}) };
  });
  return actionItems;
}

export function menuItems(
  field: MenuFieldName,
  property: PropertyName,
  current?: string,
): MenuItem[] {
  if (field === 'property') return propertyMenu();
  if (field === 'action') return actionMenu();
  const allowed: readonly RelationName[] = relationsFor(property);
  const names =
    current && !allowed.includes(current as RelationName)
      ? [...allowed, current as RelationName]
      : allowed;
  return names.map((name) => ({ name, description: RELATION_INFO[name]?.description }));
}
