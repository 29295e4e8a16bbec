// Runtime: pure (shared/). Every problem a document has, in one list: what validation finds and
// what the compiler refuses or warns about, each with its severity. `treewall check`, the
// editor's status bar and its rows read this one function, so they say what Apply will say.
// It sits beside the compiler because shared/model may not import the compiler.
// Invariant: a document for which `compile` fails has at least one `error` here; a document with
// no `error` here compiles (same document, same settings). Never throws on a well-typed document.

import type { FirewallDocument, Problem, Rule, Severity } from '../model/types.ts';
import { validateDocumentAll } from '../model/validate.ts';
import { createParseCache, type ParseCache } from '../model/values.ts';
import { actionNotes } from './action-notes.ts';
import { compile } from './index.ts';

export interface DocumentProblemsOptions {
  /** Parsed values to share with the caller's next reader (see shared/model/values.ts). */
  parseCache?: ParseCache;
  /**
   * Also compile the rules that are off, as if they were on, and report what the compiler would
   * refuse or warn about as notes (`... (the rule is off)`). Default true. Costs a second compile
   * when the document has a rule that is off.
   */
  rulesThatAreOff?: boolean;
}

const OFF = ' (the rule is off)';
const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/**
 * Every problem of `doc`, in outline order (settings last), each with `severity`:
 * - `error`: validation errors of rules that are on, the settings' errors, and every rule the
 *   compiler refuses (`Delay takes no children ...`, `Route to reaches arriving packets
 *   here ...`) — Apply refuses the document while one is left;
 * - `warning`: the compiler's warnings (`Interface external: the document lists no external
 *   interfaces, so this rule never matches`) — it applies, probably not as meant;
 * - `note`: free text where the original kept a description (an Email without address, a
 *   Trigger parameter that is not a duration), an action that does not do here what it did in
 *   IPNetSentryX (Rate limit in polices: action-notes.ts), and every problem of a rule that is off, ending
 *   in `(the rule is off)`.
 * A problem validation and the compiler both find is listed once.
 */
export function documentProblems(
  doc: FirewallDocument,
  options: DocumentProblemsOptions = {},
): Problem[] {
  const cache = options.parseCache ?? createParseCache();
  const out: Problem[] = [];
  const seen = new Set<string>();
  const key = (p: Problem): string =>
    `${p.ruleId}\u0000${p.number}\u0000${p.message.endsWith(OFF) ? p.message.slice(0, -OFF.length) : p.message}`;
  const push = (p: Problem, severity: Severity): void => {
    const k = key(p);
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ ...p, severity });
  };

  // A field validation already faults (the value does not parse) is not faulted again by the
  // compiler's follow-up ("value does not fit this property"): one problem per field.
  const fields = new Set<string>();
  for (const p of validateDocumentAll(doc, cache)) {
    push(p, p.severity ?? 'error');
    if (p.field !== undefined) fields.add(`${p.ruleId}\u0000${p.field}`);
  }
  const fromCompiler = (p: Problem, severity: Severity): void => {
    if (p.field !== undefined && fields.has(`${p.ruleId}\u0000${p.field}`)) return;
    push(p, severity);
  };

  const result = compile(doc, { parseCache: cache, mode: 'table' });
  if (result.ok) for (const w of result.warnings) fromCompiler(w, 'warning');
  else {
    for (const p of result.problems) fromCompiler(p, 'error');
    for (const w of result.warnings ?? []) fromCompiler(w, 'warning');
  }

  // Actions that do not do here what their name says there (Rate limit in polices, ...).
  for (const n of actionNotes(doc, cache)) push(n, 'note');

  const off = new Set<string>();
  if (options.rulesThatAreOff ?? true) collectOff(doc.rules, false, off);
  if (off.size > 0) {
    const allOn: FirewallDocument = { ...doc, rules: turnOn(doc.rules) };
    const again = compile(allOn, { parseCache: cache, mode: 'table' });
    const found = again.ok ? again.warnings : [...again.problems, ...(again.warnings ?? [])];
    for (const p of found) {
      if (off.has(p.ruleId)) fromCompiler({ ...p, message: `${p.message}${OFF}` }, 'note');
    }
  }

  return out
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        compareNumbers(a.p.number, b.p.number) ||
        RANK[a.p.severity ?? 'error'] - RANK[b.p.severity ?? 'error'] ||
        a.i - b.i,
    )
    .map(({ p }) => p);
}

/** Counts by severity, for a status line: `{ error: 2, warning: 0, note: 5 }`. */
export function countBySeverity(problems: readonly Problem[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const p of problems) counts[p.severity ?? 'error']++;
  return counts;
}

/** Ids of the rules that are off, or under a rule that is off. */
function collectOff(rules: readonly Rule[], parentOff: boolean, out: Set<string>): void {
  if (!Array.isArray(rules)) return;
  for (const rule of rules) {
    if (typeof rule !== 'object' || rule === null) continue;
    const isOff = parentOff || rule.enabled !== true;
    if (isOff) out.add(rule.id);
    collectOff(rule.children, isOff, out);
  }
}

function turnOn(rules: readonly Rule[]): Rule[] {
  if (!Array.isArray(rules)) return [];
  return rules.map((r) =>
    typeof r !== 'object' || r === null ? r : { ...r, enabled: true, children: turnOn(r.children) },
  );
}

/** Outline order: `2.10` after `2.9`; settings (no number) last. */
function compareNumbers(a: string, b: string): number {
  if (a === '' || b === '') return (a === '' ? 1 : 0) - (b === '' ? 1 : 0);
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}
