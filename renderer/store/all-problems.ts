// Runtime: browser (renderer/). Every problem of the document as Apply and `treewall check` see
// it — validation plus the compiler's refusals and warnings, with severity — from
// shared/compiler's `documentProblems`, the one function for that. The rows, the status bar's
// count and the problem list read it from here.
// It runs in a Web Worker a moment after the last edit (a large document takes seconds to
// compile; the worker keeps a copy of the document, ./document-worker-client.ts); where no worker can start (a file:// page that refuses module workers) it runs on
// the main thread while the document is small enough not to freeze it, and says so otherwise.
// Invariant: `forDocument` names the document object the problems belong to; an older answer
// never replaces a newer one.

import { create } from 'zustand';
import { documentProblems } from '../../shared/compiler/problems.ts';
import { countRules } from '../../shared/model/tree.ts';
import { severityOf, type FirewallDocument, type Problem } from '../../shared/model/types.ts';
import { documentWorker, problemsInWorker } from './document-worker-client.ts';

export interface AllProblemsState {
  /** The document these are for (null: not checked yet). */
  forDocument: FirewallDocument | null;
  problems: readonly Problem[];
  /** Problems by rule id (rows read their own). */
  byRule: ReadonlyMap<string, readonly Problem[]>;
  errors: number;
  warnings: number;
  notes: number;
  /** Why the compiler's checks are not in the count (no worker and a large document). */
  unavailable: string | null;
}

export const useAllProblems = create<AllProblemsState>()(() => ({
  forDocument: null,
  problems: [],
  byRule: new Map(),
  errors: 0,
  warnings: 0,
  notes: 0,
  unavailable: null,
}));

/** Without a worker, the main thread compiles documents up to this size only. */
const MAIN_THREAD_LIMIT = 2000;

let asked = 0;

/** The name of the User Timing measure of each check that lands (`npm run bench -- editor`
 * reads it): from the check's start (after the pause that follows an edit) to its answer. */
export const PROBLEM_CHECK_MEASURE = 'treewall:problem-check';

function publish(document: FirewallDocument, problems: Problem[], unavailable: string | null) {
  const byRule = new Map<string, Problem[]>();
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const p of problems) {
    const s = severityOf(p);
    if (s === 'error') errors++;
    else if (s === 'warning') warnings++;
    else notes++;
    if (!p.ruleId) continue;
    const list = byRule.get(p.ruleId);
    if (list) list.push(p);
    else byRule.set(p.ruleId, [p]);
  }
  useAllProblems.setState({
    forDocument: document,
    problems,
    byRule,
    errors,
    warnings,
    notes,
    unavailable,
  });
}

/** A check the worker is doing now, and the newest document asked for meanwhile (checked when
 * it answers). The worker answers in order and a 100,000-rule check takes seconds: one check a
 * few hundred ms after every edit queued a check per edit behind it, each for a document already
 * replaced, which kept a core busy and the autosave's encoding (same worker, in order) waiting
 * for the whole queue. */
let inWorker = false;
let waiting: { document: FirewallDocument; id: number } | null = null;

function checkInWorker(document: FirewallDocument, id: number): void {
  inWorker = true;
  // The worker holds a copy of the document, updated with the rules this edit replaced
  // (./document-worker-client.ts); a newer check cancels this one before it is asked.
  const start = performance.now();
  void problemsInWorker(document, () => id !== asked).then((problems) => {
    inWorker = false;
    if (problems !== null && id === asked) {
      publish(document, problems, null);
      performance.measure(PROBLEM_CHECK_MEASURE, { start });
    }
    const next = waiting;
    waiting = null;
    if (next && next.id === asked) checkInWorker(next.document, next.id);
  });
}

/** Check `document` (the store's current one); the answer lands in `useAllProblems`. */
export function checkDocument(document: FirewallDocument): void {
  const id = ++asked;
  if (documentWorker()) {
    if (inWorker) waiting = { document, id };
    else checkInWorker(document, id);
    return;
  }
  if (countRules(document.rules) <= MAIN_THREAD_LIMIT) {
    publish(document, documentProblems(document), null);
    return;
  }
  publish(
    document,
    [],
    'The compiler’s checks run at Apply for a document this large (no background worker here).',
  );
}

/** Every problem now, computed here (Apply and the problem list want it at once). */
export function problemsNow(document: FirewallDocument): Problem[] {
  const s = useAllProblems.getState();
  if (s.forDocument === document && s.unavailable === null) return [...s.problems];
  return documentProblems(document);
}
