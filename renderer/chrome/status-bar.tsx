// Runtime: browser (renderer/). The status bar: the helper connection in words a user can act on,
// the last apply, the rule count and the number of problems.

import { useEffect, useState } from 'react';
import { helperStartCommand, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { countRulesAndProblems } from '../store/validation.ts';

/**
 * The value once it stopped changing for a moment: counting is never in the frame of the edit
 * (it is cheap after the first time, thanks to per-subtree caching, but the first count of a
 * 100,000-rule document validates every rule).
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
  const [{ count, problems }, setCounts] = useState({ count: 0, problems: 0 });
  useEffect(() => {
    let stale = false;
    void countRulesAndProblems(rules, () => stale).then((c) => {
      if (c && !stale) setCounts({ count: c.rules, problems: c.problems });
    });
    return () => {
      stale = true;
    };
  }, [rules]);

  let helperText: string;
  if (!info)
    helperText =
      'No backend — editing only. Open treewall with `treewall serve` to open, save and apply.';
  else if (!helper?.connected)
    helperText = `No helper connected — editing only. Start it with \`${helperStartCommand({ helper, info })}\``;
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
