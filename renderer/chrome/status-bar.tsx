// Runtime: browser (renderer/). The status bar: the helper connection in words a user can act on,
// the last apply, the rule count and the number of problems.

import { useEffect, useMemo, useState } from 'react';
import { useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { documentProblems } from '../store/validation.ts';
import type { Rule } from '../../shared/model/types.ts';

const countRules = (rules: readonly Rule[]): number =>
  rules.reduce((n, r) => n + 1 + countRules(r.children), 0);

/**
 * The value once it stopped changing for a moment. Counting and validating walk the whole tree
 * (tens of ms at 100,000 rules): after the edit is on screen, never in the same frame.
 */
function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

const time = (iso: string) => new Date(iso).toLocaleTimeString();

export function StatusBar() {
  const helper = useAppStore((s) => s.helper);
  const info = useAppStore((s) => s.info);
  const lastApply = useAppStore((s) => s.lastApply);
  const rules = useSettled(useDocumentStore((s) => s.document.rules));
  const { count, problems } = useMemo(
    () => ({ count: countRules(rules), problems: documentProblems(rules).length }),
    [rules],
  );

  let helperText: string;
  if (!info)
    helperText =
      'No backend — editing only. Open treewall with `treewall serve` to open, save and apply.';
  else if (!helper?.connected)
    helperText = 'No helper connected — editing only. Start it with `sudo treewall helper`';
  else
    helperText = `Helper connected${helper.active ? ` · firewall on${helper.ruleCount !== null ? ` (${helper.ruleCount} rules)` : ''}` : ' · firewall off'}`;

  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`dot ${helper?.connected ? 'ok' : 'off'}`} />
      <span
        className="status-helper"
        data-testid="helper-status"
        title={helper?.message ?? undefined}
      >
        {helperText}
      </span>
      {(lastApply || helper?.appliedAt) && (
        <span className="status-apply" data-testid="last-apply">
          {lastApply
            ? `Last apply ${time(lastApply.at)}: ${lastApply.ok ? lastApply.message : `failed — ${lastApply.message}`}`
            : `Applied ${time(helper!.appliedAt!)}`}
        </span>
      )}
      <span className="spacer" />
      <span className={problems ? 'status-problems' : ''} data-testid="problem-count">
        {problems ? `${problems} ${problems === 1 ? 'problem' : 'problems'}` : 'No problems'}
      </span>
      <span data-testid="rule-count">{count.toLocaleString()} rules</span>
    </footer>
  );
}
