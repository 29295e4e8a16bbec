// Runtime: browser (renderer/). The status bar: the helper connection in words a user can act on,
// the last apply, the rule count and the number of problems.

import { useEffect, useMemo, useState } from 'react';
import { invoke } from '../backend.ts';
import { differsFromActive } from '../store/apply-outcome.ts';
import { helperStartCommand, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { countRulesAndProblems, problemOfRule } from '../store/validation.ts';
import { checkDocument, useAllProblems } from '../store/all-problems.ts';
import { severityOf } from '../../shared/model/types.ts';
import { toggleProblemList } from '../commands.ts';
import { HostPicker, useTargetSummary } from '../fleet/host-picker.tsx';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';

/** Rules of one document (generation), as the status bar counts them. */
interface Counted {
  rules: Rule[];
  generation: number;
}

/**
 * What to count, once it is worth counting: after an edit, when the rules stopped changing for
 * `ms` (counting is never in the frame of the edit; it is cheap after the first time, thanks to
 * per-subtree caching); after a load, as soon as the new document's first frame is painted (its
 * first count validates every rule, in slices, and "Checking…" shows until it is in).
 */
function useSettled(value: Counted, ms = 300): Counted {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (value.rules === settled.rules && value.generation === settled.generation) return;
    if (value.generation !== settled.generation) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const frame = requestAnimationFrame(() => {
        timer = setTimeout(() => setSettled(value), 0);
      });
      return () => {
        cancelAnimationFrame(frame);
        clearTimeout(timer);
      };
    }
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, settled, ms]);
  return settled;
}

const time = (iso: string) => new Date(iso).toLocaleTimeString();

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString()} ${n === 1 ? one : many}`;

/**
 * The rules in force, read back from the helper whenever they change (another apply, a rollback,
 * the firewall turned off), and whether the document in the window differs from them (checked a
 * moment after the last edit). Null: nothing to compare (no helper, firewall off, not read yet).
 */
function useDiffersFromActive(): boolean | null {
  const connected = useAppStore((s) => s.helper?.connected === true);
  const active = useAppStore((s) => s.helper?.active === true);
  const appliedAt = useAppStore((s) => s.helper?.appliedAt ?? null);
  const inForce = useAppStore((s) => s.inForce);
  const document = useDocumentStore((s) => s.document);
  const key = connected && active ? `on|${appliedAt}` : null;
  useEffect(() => {
    if (key === null) return;
    let stale = false;
    void invoke('helper:showActive', {}).then((r) => {
      if (!stale && r.ok) useAppStore.setState({ inForce: { key, document: r.value.document } });
    });
    return () => {
      stale = true;
    };
  }, [key]);
  const [differs, setDiffers] = useState<{ doc: FirewallDocument; key: string; value: boolean }>();
  const current = inForce && inForce.key === key ? inForce.document : null;
  useEffect(() => {
    if (!current) return;
    const t = setTimeout(
      () => setDiffers({ doc: document, key: key!, value: differsFromActive(document, current) }),
      differs ? 300 : 0,
    );
    return () => clearTimeout(t);
  }, [document, current, key]);
  if (!current || !differs || differs.key !== key) return null;
  return differs.value;
}

export function StatusBar() {
  const helper = useAppStore((s) => s.helper);
  const info = useAppStore((s) => s.info);
  const lastApply = useAppStore((s) => s.lastApply);
  const rules = useDocumentStore((s) => s.document.rules);
  const generation = useDocumentStore((s) => s.generation);
  const settled = useSettled(useMemo(() => ({ rules, generation }), [rules, generation]));
  const differs = useDiffersFromActive();
  // The full check (validation + the compiler's refusals and warnings), a moment after the last
  // edit, in a worker; until it is in, the count of the rows' own checks stands.
  const document = useDocumentStore((s) => s.document);
  useEffect(() => {
    const t = setTimeout(() => checkDocument(document), 400);
    return () => clearTimeout(t);
  }, [document]);
  const full = useAllProblems((s) =>
    s.forDocument === document && s.unavailable === null
      ? `${s.errors}|${s.warnings}|${s.notes}`
      : null,
  );
  const [errors, warnings] = full ? full.split('|').map(Number) : [null, 0];
  const selectedId = useDocumentStore((s) => (s.selection.length === 1 ? s.selection[0]! : null));
  const compilerRowProblem = useAllProblems((s) => {
    const p = selectedId
      ? s.byRule.get(selectedId)?.find((q) => severityOf(q) !== 'note')
      : undefined;
    return p ? `${p.number}: ${severityOf(p) === 'warning' ? 'warning: ' : ''}${p.message}` : null;
  });
  // The selected row's problem, in words (the row itself only turns red; its cell's tooltip
  // needs a hover).
  const rowProblem = useDocumentStore((s) =>
    s.selection.length === 1 ? problemOfRule(s.document.rules, s.selection[0]!) : null,
  );
  const listOpen = useAppStore((s) => s.blockingProblems !== null);
  // The counts of the last check, and the document (generation) they belong to. A freshly
  // loaded document says "checking…" until its own first count is in, never the previous
  // document's numbers or an unchecked "No problems"; after an edit the previous count of the
  // same document stays until the new one replaces it (no flicker on every keystroke).
  const [counts, setCounts] = useState<{ count: number; problems: number; generation: number }>();
  useEffect(() => {
    let stale = false;
    void countRulesAndProblems(settled.rules, () => stale).then((c) => {
      if (c && !stale) {
        setCounts({ count: c.rules, problems: c.problems, generation: settled.generation });
      }
    });
    return () => {
      stale = true;
    };
  }, [settled]);
  const checked = counts !== undefined && counts.generation === generation ? counts : null;

  // The host picker shows fleet hosts: the status line is about them, not this machine.
  const fleet = useTargetSummary();
  let helperText: string;
  if (fleet) helperText = fleet.text;
  else if (!info)
    helperText =
      'No backend — editing only. Open treewall with `treewall serve` to open, save and apply.';
  else if (!helper?.connected)
    helperText = `No helper connected — editing only. Start it with \`${helperStartCommand({ helper, info })}\``;
  else
    helperText = `Helper connected${helper.active ? ` · firewall on${helper.ruleCount !== null ? ` (${plural(helper.ruleCount, 'rule')} in force)` : ''}` : ' · firewall off'}`;

  const lastApplyText = lastApply
    ? lastApply.kind === 'stopped'
      ? `${time(lastApply.at)}: ${lastApply.message}`
      : `Last apply ${time(lastApply.at)}: ${lastApply.message}`
    : helper?.appliedAt
      ? `Applied ${time(helper.appliedAt)}`
      : '';

  return (
    <footer className="statusbar" data-testid="statusbar">
      <HostPicker />
      <span className={`dot ${(fleet ? fleet.ok : helper?.connected) ? 'ok' : 'off'}`} />
      <span
        className="status-helper"
        data-testid="helper-status"
        title={fleet ? fleet.title : (helper?.message ?? undefined)}
      >
        {helperText}
      </span>
      {!fleet && differs !== null && (
        <span
          className={`status-inforce ${differs ? 'differs' : ''}`}
          data-testid="in-force"
          data-differs={differs ? 'true' : 'false'}
          title={
            differs
              ? 'The outline has changes that are not in the kernel: Apply to put them in force, Firewall ▸ Show Active to see what is.'
              : 'The kernel holds exactly the rules of this outline.'
          }
        >
          {differs ? '● Outline differs from the rules in force' : 'Outline is in force'}
        </span>
      )}
      {!fleet && (lastApply || helper?.appliedAt) && (
        <span
          className={`status-apply ${lastApply ? `outcome-${lastApply.kind}` : ''}`}
          data-testid="last-apply"
          data-outcome={lastApply?.kind}
          title={lastApplyText}
        >
          {lastApplyText}
        </span>
      )}
      {helper?.helper?.forwarding?.message && (
        <span
          className="status-forwarding"
          data-testid="forwarding-off"
          role="status"
          title={helper.helper.forwarding.message}
        >
          ⚠ IP forwarding is off: NAT rules do not forward
        </span>
      )}
      {helper?.helper?.delays?.error && (
        <span
          className="status-forwarding"
          data-testid="delays-error"
          role="status"
          title="Delay rules act as their fallback meanwhile: open ones pass at once, closed ones delete"
        >
          ⚠ Delay: {helper.helper.delays.error}
        </span>
      )}
      {helper?.helper?.routes?.error && (
        <span className="status-forwarding" data-testid="routes-error" role="status">
          ⚠ Route to: {helper.helper.routes.error}
        </span>
      )}
      <span className="spacer" />
      {(rowProblem ?? compilerRowProblem) && (
        <span className="status-row-problem" data-testid="row-problem" role="status">
          ⚠ {rowProblem ?? compilerRowProblem}
        </span>
      )}
      {checked === null ? (
        <span data-testid="problem-count" title="Checking every rule of the document">
          Checking…
        </span>
      ) : (errors ?? checked.problems) || warnings ? (
        <button
          type="button"
          className={`status-problems link ${(errors ?? checked.problems) ? '' : 'only-warnings'}`}
          data-full={full ? 'true' : 'false'}
          data-testid="problem-count"
          aria-expanded={listOpen}
          title={
            listOpen ? 'Close the list of problems' : 'List every problem, each a link to its rule'
          }
          onClick={toggleProblemList}
        >
          {[
            (errors ?? checked.problems) > 0 && plural(errors ?? checked.problems, 'problem'),
            warnings > 0 && plural(warnings!, 'warning'),
          ]
            .filter(Boolean)
            .join(' · ')}
        </button>
      ) : (
        <span data-testid="problem-count">No problems</span>
      )}
      {checked !== null && <span data-testid="rule-count">{plural(checked.count, 'rule')}</span>}
    </footer>
  );
}
