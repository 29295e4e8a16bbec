// Runtime: any (pure). The dictionary keys of a rule that mean something to treewall: the rule
// mapper (rules.ts) keeps them and sends every other key to `rule.extra`; the XML reader (xml.ts)
// returns them as constant strings instead of slicing each one from the text.

export const RULE_KEYS = [
  'children',
  'enabled',
  'expandedState',
  'filterAction',
  'filterActionName',
  'nodeName',
  'nodeNumber',
  'nodeCount',
  'parameter',
  'property',
  'propertyName',
  'propertyValue',
  'relation',
  'relationName',
  'ruleId',
] as const;
