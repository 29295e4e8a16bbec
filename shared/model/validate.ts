// Runtime: pure (shared/). The validator: every problem in a document, each with the rule's id and
// number (`2.6.1.1.17`) and a message that starts with the property or action it is about
// (`Dest port 70000 is out of range (0-65535)`). The editor calls validateRule as the user types;
// `treewall check`, the helper and the compiler call validateDocument.
// Invariant: never throws, whatever the input (documents come from files and the clipboard, so
// names are checked at run time even though the types say they are valid).

import type { DocumentSettings, FirewallDocument, Problem, Rule } from './types.ts';
import {
  cachedParameter,
  cachedValue,
  createParseCache,
  parseParameter,
  parseValue,
  type ParseCache,
} from './values.ts';
import { isActionName, isPropertyName, isRelationName } from './vocabulary.ts';
import { ACTION_INFO, PROPERTY_INFO } from './vocabulary-table.ts';
import { RULE_ID_PATTERN } from './tree.ts';
import { INTERFACE_NAME } from './names.ts';
import { MAX_TIMEOUT_SECONDS } from './parameters.ts';
import { nameProblem, unencodableProblem } from './text.ts';

/** Where a rule sits, for the checks that depend on it. */
export interface RuleContext {
  /** Some ancestor's action is Group (Exit group is allowed). */
  insideGroup?: boolean;
  /** The rule has a parent (Reset parent and the Parent ... properties need one). */
  hasParent?: boolean;
}

const ORDERED_KINDS = new Set(['range', 'timeOfDay', 'dateTime', 'rate']);

/** The checks on one rule's own fields (not its children, not id uniqueness): its errors. */
export function validateRule(
  rule: Rule,
  number: string,
  context: RuleContext = {},
  cache?: ParseCache,
): Problem[] {
  return ruleProblems(rule, number, context, cache).filter((p) => p.severity !== 'note');
}

/** validateRule with the notes too (free text kept where a duration, address or URL goes);
 * every problem carries its severity. */
export function ruleProblems(
  rule: Rule,
  number: string,
  context: RuleContext = {},
  cache?: ParseCache,
): Problem[] {
  const problems: Problem[] = [];
  checkRule(rule, number, context, problems, cache);
  for (const p of problems) p.severity ??= 'error';
  return problems;
}

/** What a free-text parameter means, for its note. */
function noteMessage(action: string, text: string): string {
  switch (action) {
    case 'Email':
      return `Email "${text}" names no address: kept as a note; the mail goes to the address in the preferences`;
    case 'URL':
      return `URL "${text}" is not a URL: kept as a note; the rule opens nothing`;
    case 'Reset parent':
      return `Reset parent takes no parameter: "${text}" is kept as a note`;
    default:
      return `${action} parameter "${text}" is not a duration: kept as a note; the document's default duration applies`;
  }
}

function add(
  problems: Problem[],
  rule: Rule,
  number: string,
  field: Problem['field'],
  message: string,
): void {
  problems.push(
    field ? { ruleId: rule.id, number, field, message } : { ruleId: rule.id, number, message },
  );
}

/** validateRule, appending to `problems` (validateDocument calls it 100,000 times). */
function checkRule(
  rule: Rule,
  number: string,
  context: RuleContext,
  problems: Problem[],
  cache: ParseCache | undefined,
): void {
  if (typeof rule.id !== 'string' || !RULE_ID_PATTERN.test(rule.id)) {
    add(
      problems,
      rule,
      number,
      undefined,
      `Rule id "${String(rule.id)}" is not 1-32 letters, digits, _ or -`,
    );
  }
  if (typeof rule.name !== 'string') add(problems, rule, number, 'name', 'Name is not text');
  else {
    // Names go to the kernel as nft comments and back out through `nft list`: no control
    // characters (terminal escapes), no NUL or lone surrogates (nft's JSON parser refuses them).
    const bad = nameProblem(rule.name);
    if (bad) add(problems, rule, number, 'name', bad);
  }

  const property = String(rule.property);
  const relation = String(rule.relation);
  const action = String(rule.action);
  const propertyOk = isPropertyName(property);
  const relationOk = isRelationName(relation);
  const actionOk = isActionName(action);
  if (!propertyOk)
    add(problems, rule, number, 'property', `Property "${property}" is not one treewall knows`);
  if (!relationOk) {
    add(
      problems,
      rule,
      number,
      'relation',
      `Relation "${relation}" is not one of ==, !=, a=A, >=, <=`,
    );
  }
  if (!actionOk)
    add(problems, rule, number, 'action', `Action "${action}" is not one treewall knows`);

  if (propertyOk) {
    const info = PROPERTY_INFO[property];
    const relationAllowed = relationOk && info.relations.includes(relation);
    if (relationOk && !relationAllowed) {
      add(
        problems,
        rule,
        number,
        'relation',
        `${property} does not take ${relation} (use ${info.relations.join(' or ')})`,
      );
    }
    const text = typeof rule.value === 'string' ? rule.value : String(rule.value);
    const unencodable = unencodableProblem(property, text);
    const parsed = unencodable
      ? ({ ok: false, error: unencodable } as const)
      : cache
        ? cachedValue(cache, property, text)
        : parseValue(property, text);
    if (!parsed.ok) {
      add(problems, rule, number, 'value', parsed.error);
    } else if (relationAllowed && (relation === '>=' || relation === '<=')) {
      const v = parsed.value;
      if (!ORDERED_KINDS.has(v.kind)) {
        add(problems, rule, number, 'relation', `${property} does not take ${relation}`);
      } else if (v.kind === 'range' && v.range.min !== v.range.max) {
        add(
          problems,
          rule,
          number,
          'value',
          `${property} ${relation} takes one number, not the range ${v.range.min}-${v.range.max}`,
        );
      } else if (v.kind === 'timeOfDay' && v.fromMinute !== v.toMinute) {
        add(
          problems,
          rule,
          number,
          'value',
          `${property} ${relation} takes one time (HH:MM), not a range`,
        );
      }
    }
    if (property.startsWith('Parent ') && context.hasParent === false) {
      add(problems, rule, number, 'property', `${property} needs a parent rule`);
    }
    // Idle seconds fires from the helper's timer with no packet at hand, so a verdict there
    // means nothing. (Parent ... tests may also gate packets, e.g. a ping-flood Delete.)
    if (property === 'Idle seconds' && actionOk && ACTION_INFO[action].terminating) {
      add(
        problems,
        rule,
        number,
        'action',
        `${property} is checked on a timer, not per packet: ${action} has no packet to act on`,
      );
    }
  }

  if (actionOk) {
    const text = typeof rule.parameter === 'string' ? rule.parameter : String(rule.parameter);
    const unencodable = unencodableProblem(`${action} parameter`, text);
    const parsed = unencodable
      ? ({ ok: false, error: unencodable } as const)
      : cache
        ? cachedParameter(cache, action, text)
        : parseParameter(action, text);
    if (!parsed.ok) add(problems, rule, number, 'parameter', parsed.error);
    else if (parsed.value.kind === 'note') {
      problems.push({
        severity: 'note',
        ruleId: rule.id,
        number,
        field: 'parameter',
        message: noteMessage(action, parsed.value.text),
      });
    }
    if (action === 'Exit group' && context.insideGroup === false) {
      add(problems, rule, number, 'action', 'Exit group is only valid inside a Group');
    }
    if (action === 'Reset parent' && context.hasParent === false) {
      add(problems, rule, number, 'action', 'Reset parent needs a parent rule');
    }
  }
  if (typeof rule.enabled !== 'boolean')
    add(problems, rule, number, undefined, 'Enabled is not true or false');
  if (!Array.isArray(rule.children))
    add(problems, rule, number, undefined, 'Children is not a list of rules');
}

/** Checks on the settings; their problems carry an empty ruleId and number. */
export function validateSettings(settings: DocumentSettings): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string): void => void problems.push({ ruleId: '', number: '', message });
  const d = settings.defaultTriggerDuration;
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) {
    add(`Default trigger duration ${String(d)} is not a number of seconds (0 is unlimited)`);
  } else if (d > MAX_TIMEOUT_SECONDS) {
    add(
      `Default trigger duration ${d} s is longer than the kernel takes (at most ${MAX_TIMEOUT_SECONDS} s, 100 years; 0 is unlimited)`,
    );
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
 * The errors in the document, in outline order: what stops it from being applied. Each enabled
 * rule's fields (validateRule), duplicate ids, Exit group outside a Group, Parent tests and Reset
 * parent at the top level, then settings. A rule that is off (or under one that is off) is
 * checked too, but its field problems are notes (validateDocumentAll), not errors: the kernel
 * never sees it. `cache`: parsed values and parameters by text (a large outline repeats a few
 * thousand distinct values); pass one to share the parsing with whoever reads the same document
 * next (the compiler), or leave it out for a private one.
 */
export function validateDocument(
  doc: FirewallDocument,
  cache: ParseCache = createParseCache(),
): Problem[] {
  return collect(doc, cache).filter((p) => p.severity === 'error');
}

/**
 * Every problem validation finds, each with its severity: validateDocument's errors, the notes
 * (free-text parameters), and the field problems of rules that are off, as notes that say so.
 * `documentProblems` (shared/compiler/problems.ts) adds what the compiler refuses or warns about.
 */
export function validateDocumentAll(
  doc: FirewallDocument,
  cache: ParseCache = createParseCache(),
): Problem[] {
  return collect(doc, cache);
}

function collect(doc: FirewallDocument, cache: ParseCache): Problem[] {
  const problems: Problem[] = [];
  const firstNumberOfId = new Map<string, string>();
  const go = (
    list: readonly Rule[],
    prefix: string,
    depth: number,
    insideGroup: boolean,
    off: boolean,
  ): void => {
    if (!Array.isArray(list)) return;
    for (let i = 0; i < list.length; i++) {
      const rule = list[i];
      const number = depth === 0 ? String(i + 1) : `${prefix}.${i + 1}`;
      if (typeof rule !== 'object' || rule === null) {
        problems.push({
          severity: 'error',
          ruleId: '',
          number,
          message: 'Rule is not a dictionary',
        });
        continue;
      }
      const ruleOff = off || rule.enabled !== true;
      const start = problems.length;
      checkRule(rule, number, { insideGroup, hasParent: depth > 0 }, problems, cache);
      for (let k = start; k < problems.length; k++) {
        const p = problems[k] as Problem;
        if (p.severity !== undefined) continue;
        // A field problem of a rule that is off changes nothing in the kernel: a note.
        if (ruleOff && p.field !== undefined) {
          p.severity = 'note';
          p.message = `${p.message} (the rule is off)`;
        } else p.severity = 'error';
      }
      const seen = firstNumberOfId.get(rule.id);
      if (seen !== undefined) {
        problems.push({
          severity: 'error',
          ruleId: rule.id,
          number,
          message: `Rule id "${rule.id}" is also used by rule ${seen}`,
        });
      } else {
        firstNumberOfId.set(rule.id, number);
      }
      go(rule.children, number, depth + 1, insideGroup || rule.action === 'Group', ruleOff);
    }
  };
  go(doc.rules, '', 0, false, false);
  if (doc.settings) {
    for (const p of validateSettings(doc.settings)) problems.push({ severity: 'error', ...p });
  }
  return problems;
}

/**
 * `rule 2.6.1: Dest port 70000 is out of range (0-65535)` (what `treewall check` prints); warnings
 * and notes say so: `warning: rule 3: ...`, `note: rule 2.5.1: ...`.
 */
export const formatProblem = (p: Problem): string => {
  const lead = p.severity === 'warning' || p.severity === 'note' ? `${p.severity}: ` : '';
  return `${lead}${p.number === '' ? p.message : `rule ${p.number}: ${p.message}`}`;
};
