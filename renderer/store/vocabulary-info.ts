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
  type PropertyName,
  type RelationName,
} from '../../shared/model/vocabulary.ts';

export type MenuFieldName = 'property' | 'relation' | 'action';

export interface MenuItem {
  name: string;
  description?: string;
}

const PROPERTY_ITEMS: MenuItem[] = PROPERTY_NAMES.map((name) => ({
  name,
  description: PROPERTY_INFO[name].description,
}));
const ACTION_ITEMS: MenuItem[] = ACTION_NAMES.map((name) => ({
  name,
  description: ACTION_INFO[name].description,
}));

export function menuItems(
  field: MenuFieldName,
  property: PropertyName,
  current?: string,
): MenuItem[] {
  if (field === 'property') return PROPERTY_ITEMS;
  if (field === 'action') return ACTION_ITEMS;
  const allowed: readonly RelationName[] = relationsFor(property);
  const names =
    current && !allowed.includes(current as RelationName)
      ? [...allowed, current as RelationName]
      : allowed;
  return names.map((name) => ({ name, description: RELATION_INFO[name]?.description }));
}
