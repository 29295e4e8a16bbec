// Runtime: browser (renderer/). What sits between the toolbar and the outline when something needs
// the user: an error (paste that does not parse, a failed save), the apply countdown ("Keep these
// rules? Reverting in 20 s") and the list of problems that blocks Apply, each a link to its rule.

import { useEffect, useRef, useState } from 'react';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { confirmApply, revealRule, revertApply } from '../commands.ts';
import { useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { useAllProblems } from '../store/all-problems.ts';
import { severityOf } from '../../shared/model/types.ts';

export function ErrorBanner() {
  const banner = useAppStore((s) => s.banner);
  if (!banner) return null;
  return (
    <div className={`banner banner-${banner.kind}`} role="alert" data-testid="error-banner">
      <div className="banner-text">
        <strong>{banner.message}</strong>
        {banner.detail && <div className="banner-detail">{banner.detail}</div>}
      </div>
      <button
        type="button"
        className="banner-close"
        aria-label="Dismiss"
        onClick={() => useAppStore.getState().setBanner(null)}
      >
        ×
      </button>
    </div>
  );
}

/** The browser host's link to `treewall serve`: lost (edits stay here; calls wait), then back. */
export function ConnectionBanner() {
  const connection = useAppStore((s) => s.hostConnection);
  if (connection !== 'lost' && connection !== 'back') return null;
  const lost = connection === 'lost';
  return (
    <div
      className={`banner ${lost ? 'banner-error' : 'banner-info'}`}
      role="status"
      data-testid="connection-banner"
      data-state={connection}
    >
      <div className="banner-text">
        {lost ? (
          <>
            <strong>Lost connection to treewall serve — reconnecting…</strong> Your edits stay in
            this page; saving, applying and autosave resume when it is back.
          </>
        ) : (
          <strong>Reconnected to treewall serve.</strong>
        )}
      </div>
    </div>
  );
}

/** The previous rules came back: says so, and why (timed out, Revert, helper restarted). */
export function RollbackBanner() {
  const rollback = useAppStore((s) => s.rollback);
  const pending = useAppStore((s) => s.helper?.pendingConfirm ?? null);
  if (!rollback || pending) return null;
  return (
    <div className="banner banner-warning" role="alert" data-testid="rollback-banner">
      <div className="banner-text">
        <strong>The applied rules were rolled back: {rollback.reason}.</strong> {rollback.detail} (
        {new Date(rollback.at).toLocaleTimeString()}) Your outline is unchanged: Apply again and
        choose Keep to put it in force.
      </div>
      <button
        type="button"
        className="banner-close"
        aria-label="Dismiss"
        onClick={() => useAppStore.setState({ rollback: null })}
      >
        ×
      </button>
    </div>
  );
}

export function ConfirmBanner() {
  const pending = useAppStore((s) => s.helper?.pendingConfirm ?? null);
  const [now, setNow] = useState(() => Date.now());
  // The answer the user gave for this deadline, until the helper's status says it is done. The
  // helper answers after the work queued before it (the apply's table fingerprint, a full
  // listing): on a busy machine that takes seconds, and the banner must not look ignored.
  const [answer, setAnswer] = useState<{ deadline: string; choice: 'keep' | 'revert' } | null>(
    null,
  );
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [pending]);
  // An alert dialog takes the keyboard (Enter keeps, Tab reaches Revert) and gives it back to
  // where it was when it goes.
  const keep = useRef<HTMLButtonElement>(null);
  const deadline = pending?.deadline;
  useEffect(() => {
    if (!deadline) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    keep.current?.focus();
    return () => {
      if (before?.isConnected) before.focus({ preventScroll: true });
    };
  }, [deadline]);
  if (!pending) return null;
  const left = Math.max(0, Math.ceil((Date.parse(pending.deadline) - now) / 1000));
  const given = answer?.deadline === pending.deadline ? answer.choice : null;
  const choose = (choice: 'keep' | 'revert') => {
    setAnswer({ deadline: pending.deadline, choice });
    void (choice === 'keep' ? confirmApply() : revertApply()).then((ok) => {
      if (!ok) setAnswer(null); // The error banner says why; the choice is offered again.
    });
  };
  return (
    <div
      className="banner banner-confirm"
      role="alertdialog"
      aria-label="Confirm applied rules"
      aria-busy={given !== null}
      data-testid="confirm-banner"
    >
      <div className="banner-text">
        {given === null ? (
          <>
            <strong>Keep these rules?</strong> Reverting in {left} s unless you keep them.
          </>
        ) : (
          <>
            <strong>{given === 'keep' ? 'Keeping these rules…' : 'Reverting…'}</strong> waiting for
            the helper to answer.
          </>
        )}
      </div>
      <button
        ref={keep}
        type="button"
        className="tool primary"
        disabled={given !== null}
        onClick={() => choose('keep')}
      >
        Keep
      </button>
      <button
        type="button"
        className="tool"
        disabled={given !== null}
        onClick={() => choose('revert')}
      >
        Revert
      </button>
    </div>
  );
}

/** "2 problems, 1 warning and 1 note in this document…" (the list opened from the status bar). */
function summary(problems: readonly { severity?: 'error' | 'warning' | 'note' }[]): string {
  const n = { error: 0, warning: 0, note: 0 };
  for (const p of problems) n[p.severity ?? 'error']++;
  const parts = [
    n.error && `${n.error} ${n.error === 1 ? 'problem' : 'problems'}`,
    n.warning && `${n.warning} ${n.warning === 1 ? 'warning' : 'warnings'}`,
    n.note && `${n.note} ${n.note === 1 ? 'note' : 'notes'}`,
  ].filter(Boolean);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  return `${list} in this document${n.error ? '; Apply refuses it until the problems are fixed' : ''}. Click a number to go to its rule.`;
}

export function ProblemsPanel() {
  const problems = useAppStore((s) => s.blockingProblems);
  const source = useAppStore((s) => s.problemsSource);
  const document = useDocumentStore((s) => s.document);
  const checked = useAllProblems((s) => (s.forDocument === document ? s.problems : null));
  const open = problems !== null;
  const shownFor = useRef<FirewallDocument | null>(null);
  // While open, the list follows the edits (a moment after the last one): fixed problems leave
  // it, and it closes when none is left. Until the first edit it shows what Apply reported
  // (the helper's compile problems included).
  useEffect(() => {
    if (!open) {
      shownFor.current = null;
      return;
    }
    if (shownFor.current === null) shownFor.current = document;
    if (shownFor.current === document || checked === null) return;
    // The full check of the edited document is in (all-problems.ts).
    const now = source === 'apply' ? checked.filter((p) => severityOf(p) === 'error') : checked;
    useAppStore.setState({ blockingProblems: now.length ? [...now] : null });
  }, [open, document, checked, source]);
  if (!problems) return null;
  return (
    <div
      className="banner banner-error problems"
      role={source === 'apply' ? 'alert' : 'region'}
      aria-label="Problems"
      data-testid="problems"
      data-source={source}
    >
      <div className="banner-text">
        <strong>
          {source === 'apply'
            ? `Apply blocked: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}. Fix them and apply again.`
            : summary(problems)}
        </strong>
        <ul>
          {problems.slice(0, 50).map((p, i) => (
            <li key={`${p.ruleId}-${i}`} data-severity={severityOf(p)} data-testid="problem-item">
              {severityOf(p) !== 'error' && (
                <span className={`severity severity-${severityOf(p)}`}>{severityOf(p)}</span>
              )}
              {p.ruleId ? (
                <button
                  type="button"
                  className="link"
                  data-testid="problem-link"
                  onClick={() => revealRule(p.ruleId)}
                >
                  {p.number}
                </button>
              ) : (
                <span className="muted">Document Settings:</span>
              )}{' '}
              {p.message}
            </li>
          ))}
          {problems.length > 50 && <li>… and {problems.length - 50} more</li>}
        </ul>
      </div>
      <button
        type="button"
        className="banner-close"
        aria-label="Dismiss"
        onClick={() => useAppStore.setState({ blockingProblems: null })}
      >
        ×
      </button>
    </div>
  );
}
