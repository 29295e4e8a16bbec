// Runtime: pure (shared/). The validator: every problem in a document, each with the rule's id and
// number (`2.6.1.1.17`) and a message that starts with the property or action it is about
// (`Dest port 70000 is out of range (0-65535)`). The editor calls validateRule as the user types;
// `treewall check`, the helper and the compiler call validateDocument.
// Invariant: never throws, whatever the input (documents come from files and the clipboard, so
// names are checked at run time even though the types say they are valid).

import type { DocumentSettings, FirewallDocument, Problem, Rule } from './types.ts';
import { parseParameter, parseValue } from './values.ts';
import { isActionName, isPropertyName, isRelationName } from './vocabulary.ts';
import { ACTION_INFO, PROPERTY_INFO } from './vocabulary-table.ts';
import { RULE_ID_PATTERN, formatNumber } from './tree.ts';
import { INTERFACE_NAME } from './names.ts';

/** Where a rule sits, for the checks that depend on it. */
export interface RuleContext {
  /** Some ancestor's action is Group (Exit group is allowed). */
  insideGroup?: boolean;
  /** The rule has a parent (Reset parent and the Parent ... properties need one). */
  hasParent?: boolean;
}

const ORDERED_KINDS = new Set(['range', 'timeOfDay', 'dateTime', 'rate']);

/** The checks on one rule's own fields (not its children, not id uniqueness). */
export function validateRule(rule: Rule, number: string, context: RuleContext = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (field: Problem['field'], message: string): void => {
    problems.push(
      field ? { ruleId: rule.id, number, field, message } : { ruleId: rule.id, number, message },
    );
  };

  if (typeof rule.id !== 'string' || !RULE_ID_PATTERN.test(rule.id)) {
    add(undefined, `Rule id "${String(rule.id)}" is not 1-32 letters, digits, _ or -`);
  }
  if (typeof rule.name !== 'string') add('name', 'Name is not text');

  const property = String(rule.property);
  const relation = String(rule.relation);
  const action = String(rule.action);
  const propertyOk = isPropertyName(property);
  const relationOk = isRelationName(relation);
  const actionOk = isActionName(action);
  if (!propertyOk) add('property', `Property "${property}" is not one treewall knows`);
  if (!relationOk) add('relation', `Relation "${relation}" is not one of ==, !=, a=A, >=, <=`);
  if (!actionOk) add('action', `Action "${action}" is not one treewall knows`);

  if (propertyOk) {
    const info = PROPERTY_INFO[property];
    const relationAllowed = relationOk && info.relations.includes(relation);
    if (relationOk && !relationAllowed) {
      add('relation', `${property} does not take ${relation} (use ${info.relations.join(' or ')})`);
    }
    const parsed = parseValue(
      property,
      typeof rule.value === 'string' ? rule.value : String(rule.value),
    );
    if (!parsed.ok) {
      add('value', parsed.error);
    } else if (relationAllowed && (relation === '>=' || relation === '<=')) {
      const v = parsed.value;
      if (!ORDERED_KINDS.has(v.kind)) {
        add('relation', `${property} does not take ${relation}`);
      } else if (v.kind === 'range' && v.range.min !== v.range.max) {
        add(
          'value',
          `${property} ${relation} takes one number, not the range ${v.range.min}-${v.range.max}`,
        );
      } else if (v.kind === 'timeOfDay' && v.fromMinute !== v.toMinute) {
        add('value', `${property} ${relation} takes one time (HH:MM), not a range`);
      }
    }
    if (property.startsWith('Parent ') && context.hasParent === false) {
      add('property', `${property} needs a parent rule`);
    }
    // Idle seconds fires from the helper's timer with no packet at hand, so a verdict there
    // means nothing. (Parent ... tests may also gate packets, e.g. a ping-flood Delete.)
    if (property === 'Idle seconds' && actionOk && ACTION_INFO[action].terminating) {
      add(
        'action',
        `${property} is checked on a timer, not per packet: ${action} has no packet to act on`,
      );
    }
  }

  if (actionOk) {
    const parsed = parseParameter(
      action,
      typeof rule.parameter === 'string' ? rule.parameter : String(rule.parameter),
    );
    if (!parsed.ok) add('parameter', parsed.error);
    if (action === 'Exit group' && context.insideGroup === false) {
      add('action', 'Exit group is only valid inside a Group');
    }
    if (action === 'Reset parent' && context.hasParent === false) {
      add('action', 'Reset parent needs a parent rule');
    }
  }
  if (typeof rule.enabled !== 'boolean') add(undefined, 'Enabled is not true or false');
  if (!Array.isArray(rule.children)) add(undefined, 'Children is not a list of rules');
  return problems;
}

/** Checks on the settings; their problems carry an empty ruleId and number. */
export function validateSettings(settings: DocumentSettings): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string): void => void problems.push({ ruleId: '', number: '', message });
  const d = settings.defaultTriggerDuration;
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) {
    add(`Default trigger duration ${String(d)} is not a number of seconds (0 is unlimited)`);
  }
  if (settings.defaultPolicy !== 'pass' && settings.defaultPolicy !== 'delete') {
    add(`Default policy "${String(settings.defaultPolicy)}" is not pass or delete`);
  }
  for (const [label, list] of [
    ['External', settings.externalInterfaces],
    ['Internal', settings.internalInterfaces],
  ] as const) {
    if (!Array.isArray(list)) {
      add(`${label} interfaces is not a list`);
      continue;
    }
    for (const name of list) {
      if (typeof name !== 'string' || !INTERFACE_NAME.test(name)) {
        add(`${label} interface "${String(name)}" is not an interface name`);
      }
    }
  }
  if (Array.isArray(settings.externalInterfaces) && Array.isArray(settings.internalInterfaces)) {
    for (const name of settings.externalInterfaces) {
      if (settings.internalInterfaces.includes(name))
        add(`Interface ${name} is both external and internal`);
    }
  }
  return problems;
}

/**
 * Every problem in the document, in outline order: each rule's fields (validateRule), duplicate
 * ids, Exit group outside a Group, Parent tests and Reset parent at the top level, then settings.
 */
export function validateDocument(doc: FirewallDocument): Problem[] {
  const problems: Problem[] = [];
  const firstNumberOfId = new Map<string, string>();
  const go = (list: readonly Rule[], path: number[], insideGroup: boolean): void => {
    if (!Array.isArray(list)) return;
    for (let i = 0; i < list.length; i++) {
      const rule = list[i];
      path.push(i);
      const number = formatNumber(path);
      if (typeof rule !== 'object' || rule === null) {
        problems.push({ ruleId: '', number, message: 'Rule is not a dictionary' });
        path.pop();
        continue;
      }
      problems.push(...validateRule(rule, number, { insideGroup, hasParent: path.length > 1 }));
      const seen = firstNumberOfId.get(rule.id);
      if (seen !== undefined) {
        problems.push({
          ruleId: rule.id,
          number,
          message: `Rule id "${rule.id}" is also used by rule ${seen}`,
        });
      } else {
        firstNumberOfId.set(rule.id, number);
      }
      go(rule.children, path, insideGroup || rule.action === 'Group');
      path.pop();
    }
  };
  go(doc.rules, [], false);
  if (doc.settings) problems.push(...validateSettings(doc.settings));
  return problems;
}

/** `rule 2.6.1: Dest port 70000 is out of range (0-65535)` (what `treewall check` prints). */
export const formatProblem = (p: Problem): string =>
  p.number === '' ? p.message : `rule ${p.number}: ${p.message}`;
