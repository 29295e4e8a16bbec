// Runtime: browser (renderer/). Firewall ▸ Show Active: the rules in force as a read-only outline,
// each row compared with the document in the window by rule id — changed (which fields), only in
// force (deleted or never in the outline), and a count of the outline's rules not in force —
// with the NeXT text behind a disclosure for copying.

import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { rulesToText } from '../store/clipboard-codec.ts';
import { useDocumentStore } from '../store/document-store.ts';

const FIELDS = ['enabled', 'property', 'relation', 'value', 'action', 'parameter'] as const;

interface Row {
  rule: Rule;
  number: string;
  depth: number;
  /** null: the same in the outline; 'gone': not in the outline; else the fields that differ. */
  diff: null | 'gone' | string[];
}

function index(rules: readonly Rule[], into = new Map<string, Rule>()): Map<string, Rule> {
  for (const r of rules) {
    into.set(r.id, r);
    index(r.children, into);
  }
  return into;
}

function rowsOf(active: readonly Rule[], outline: Map<string, Rule>): Row[] {
  const rows: Row[] = [];
  const walk = (list: readonly Rule[], prefix: string, depth: number) =>
    list.forEach((rule, i) => {
      const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      const mine = outline.get(rule.id);
      const diff = mine ? FIELDS.filter((f) => mine[f] !== rule[f]) : 'gone';
      rows.push({
        rule,
        number,
        depth,
        diff: diff === 'gone' ? 'gone' : diff.length ? diff : null,
      });
      walk(rule.children, number, depth + 1);
    });
  walk(active, '', 0);
  return rows;
}

export function ActiveView({ document }: { document: FirewallDocument }) {
  const outline = useDocumentStore((s) => s.document.rules);
  const mine = index(outline);
  const rows = rowsOf(document.rules, mine);
  const inForce = new Set(rows.map((r) => r.rule.id));
  const notInForce = [...mine.keys()].filter((id) => !inForce.has(id)).length;
  const changed = rows.filter((r) => Array.isArray(r.diff)).length;
  const gone = rows.filter((r) => r.diff === 'gone').length;
  const same = changed === 0 && gone === 0 && notInForce === 0;
  return (
    <>
      <p className="active-summary" data-testid="active-summary">
        {same
          ? 'The outline in the window is the same as the rules in force.'
          : [
              changed && `${changed} ${changed === 1 ? 'rule differs' : 'rules differ'}`,
              gone && `${gone} ${gone === 1 ? 'rule is' : 'rules are'} only in force`,
              notInForce &&
                `${notInForce} ${notInForce === 1 ? 'rule of the outline is' : 'rules of the outline are'} not in force`,
            ]
              .filter(Boolean)
              .join(' · ') + ' (compared by rule; names and disclosure aside).'}
      </p>
      <div className="active-outline" role="tree" aria-label="Rules in force" aria-readonly="true">
        {rows.map((r) => (
          <div
            key={r.rule.id}
            role="treeitem"
            aria-level={r.depth + 1}
            className={`active-row ${r.diff === 'gone' ? 'gone' : r.diff ? 'changed' : ''} ${r.rule.enabled ? '' : 'off'}`}
            data-testid="active-row"
            data-number={r.number}
            data-diff={r.diff === null ? 'same' : r.diff === 'gone' ? 'gone' : 'changed'}
            title={
              r.diff === 'gone'
                ? 'In force, not in the outline'
                : r.diff
                  ? `Differs in the outline: ${r.diff.join(', ')}`
                  : undefined
            }
          >
            <span className="active-num" style={{ paddingLeft: r.depth * 14 }}>
              {r.number}
            </span>
            <span className="active-name">{r.rule.name}</span>
            <span className="mono">
              {r.rule.property} {r.rule.relation} {r.rule.value}
            </span>
            <span className="mono">
              {r.rule.action} {r.rule.parameter}
            </span>
            <span className="active-diff">
              {r.diff === 'gone' ? 'only in force' : r.diff ? `outline: ${r.diff.join(', ')}` : ''}
            </span>
          </div>
        ))}
      </div>
      <details className="active-details">
        <summary>As NeXT text (for copying)</summary>
        <pre className="active-text">{rulesToText(document.rules)}</pre>
      </details>
    </>
  );
}
