// Runtime: plain Node, test only. Documents for the atomic-save tests: big enough (about 2 MB of
// XML) that a write takes long enough to be interrupted.

import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';

export function bigDocument(tag: string, count = 4000): FirewallDocument {
  const rules: Rule[] = [];
  for (let i = 0; i < count; i++) {
    rules.push({
      id: `${tag}-${i}`,
      enabled: i % 3 !== 0,
      name: `${tag} service ${i} "quoted" & <escaped>`,
      property: 'Dest port',
      relation: '==',
      value: String(1024 + i),
      action: 'Pass',
      parameter: '',
      children: [],
      expanded: false,
    });
  }
  return { rules, settings: { ...DEFAULT_SETTINGS } };
}
