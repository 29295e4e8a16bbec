// Runtime: browser (renderer/), pure. What became of an apply, told from the helper statuses the
// app believes (after helper-state.ts ordered them): kept, rolled back (and why), or the firewall
// turned off. Also whether the document in the window differs from the rules in force.
//
// How a rollback is recognised: an apply with a confirm shows a pending confirm; the status after
// it has none. The helper's `lastError` then says `rolled back: <reason>` if it restored the
// previous rules (by timeout, by Revert, or at start-up because the deadline passed while it was
// down) — but lastError stays until the next background error, so a rollback is believed only
// when the rules in force also changed (a new `appliedAt`, or the firewall went off). Otherwise
// the rules were kept (by this window's Keep, or by another client's).
// Statuses of a disconnected helper change nothing: the pending apply is settled by the first
// status after the reconnect (the helper-restarted case).

import type { HelperStatus } from '../../shared/ipc/app-api.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';

export type OutcomeKind = 'applied' | 'kept' | 'rolledBack' | 'failed' | 'stopped';

export interface ApplyOutcome {
  kind: OutcomeKind;
  /** When it happened (ISO). */
  at: string;
  /** The status line's words, after the time. */
  message: string;
  /** Why a rollback happened, in the user's words (rolledBack only). */
  reason?: string;
  /** What is in force after it, a sentence (rolledBack only). */
  detail?: string;
}

export interface OutcomeTracker {
  /** The user answered the confirm of the pending apply in this window. */
  choose(choice: 'keep' | 'revert'): void;
  /** A status the app now believes: the outcome it settles, or null. */
  next(status: HelperStatus, now?: Date): ApplyOutcome | null;
}

const rules = (n: number | null) => (n === null ? 'the rules' : n === 1 ? '1 rule' : `${n} rules`);

/** The helper's rollback reason (`lastError` after `rolled back: `) in words for the user. */
export function rollbackReason(raw: string, choice: 'keep' | 'revert' | null): string {
  const timeout = /^no confirm within (\d+) s/.exec(raw);
  if (timeout) return `nobody chose Keep within ${timeout[1]} s`;
  if (raw.startsWith('reverted by request'))
    return choice === 'revert' ? 'you chose Revert' : 'Revert was chosen in another window';
  if (raw.includes('helper was down'))
    return 'the helper was restarted after the confirm deadline had passed';
  return raw;
}

export function createOutcomeTracker(): OutcomeTracker {
  let pending: {
    deadline: string;
    appliedAt: string | null;
    choice: 'keep' | 'revert' | null;
  } | null = null;
  /** The last connected status's `active`, to tell when another client turned the firewall off. */
  let wasActive: boolean | null = null;

  return {
    choose(choice) {
      if (pending) pending.choice = choice;
    },
    next(status, now = new Date()) {
      if (!status.connected) return null;
      const at = now.toISOString();
      const before = wasActive;
      wasActive = status.active;
      const confirm = status.pendingConfirm;
      if (confirm) {
        if (pending?.deadline !== confirm.deadline)
          pending = { deadline: confirm.deadline, appliedAt: status.appliedAt, choice: null };
        return null;
      }
      if (!pending) {
        if (before === true && !status.active)
          return { kind: 'stopped', at, message: 'firewall turned off; no rules in force' };
        return null;
      }
      const settled = pending;
      pending = null;
      const error = status.helper?.lastError ?? '';
      const changed = status.appliedAt !== settled.appliedAt || !status.active;
      if (error.startsWith('rolled back:') && changed) {
        const reason = rollbackReason(error.slice('rolled back:'.length).trim(), settled.choice);
        return {
          kind: 'rolledBack',
          at,
          reason,
          detail: status.active
            ? `The previous ${rules(status.ruleCount)} are in force again.`
            : 'The firewall is off again, as it was before that apply.',
          message: status.active
            ? `rolled back (${reason}); the previous ${rules(status.ruleCount)} are in force again`
            : `rolled back (${reason}); the firewall is off again, as it was before`,
        };
      }
      return {
        kind: 'kept',
        at,
        message:
          `${rules(status.ruleCount)} applied and kept` +
          (settled.choice === 'keep' ? '' : ' (Keep was chosen in another window)'),
      };
    },
  };
}

/** Same rules as far as the kernel is concerned: ids, enabled, and the six editable fields. */
function sameRules(a: readonly Rule[], b: readonly Rule[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (
      x.id !== y.id ||
      x.enabled !== y.enabled ||
      x.property !== y.property ||
      x.relation !== y.relation ||
      x.value !== y.value ||
      x.action !== y.action ||
      x.parameter !== y.parameter ||
      !sameRules(x.children, y.children)
    )
      return false;
  }
  return true;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Does the document in the window compile to something other than the rules in force? Names,
 * disclosure and the statistics column do not count. */
export function differsFromActive(document: FirewallDocument, active: FirewallDocument): boolean {
  const s = document.settings;
  const t = active.settings;
  return (
    s.defaultPolicy !== t.defaultPolicy ||
    s.defaultTriggerDuration !== t.defaultTriggerDuration ||
    !sameList(s.externalInterfaces, t.externalInterfaces) ||
    !sameList(s.internalInterfaces, t.internalInterfaces) ||
    !sameRules(document.rules, active.rules)
  );
}
