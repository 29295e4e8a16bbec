// Runtime: browser (renderer/). "Make a rule from this": a rule prefilled from a log event,
// placed where the event's packet would reach it (the evaluator says which rule decided it),
// with the verdict before and after shown before anything changes. Insert is one undoable edit.

import { useEffect, useMemo, useState } from 'react';
import type { ActionName } from '../../shared/model/vocabulary.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { ruleIndex } from '../common/rule-index.ts';
import type { LoggedEvent } from './log-store.ts';
import { proposalTests, proposeRule, type ProposalTest } from './event-packet.ts';

const TEST_LABEL: Record<ProposalTest, string> = {
  source: 'Source net (this host)',
  port: 'Dest port (this service)',
  protocol: 'Protocol',
};
const ACTIONS: readonly ActionName[] = [
  'Pass',
  'Delete',
  'Delete no log',
  'Reject',
  'Trigger',
  'Log',
];

export function MakeRule({ event, onClose }: { event: LoggedEvent; onClose(): void }) {
  const document = useDocumentStore((s) => s.document);
  const tests = proposalTests(event);
  const [test, setTest] = useState<ProposalTest>(tests[0] ?? 'source');
  const deleted = /delete|reject|drop|trigger/i.test(event.action);
  const [action, setAction] = useState<ActionName>(deleted ? 'Pass' : 'Delete');
  const proposal = useMemo(
    () => proposeRule(document, event, test, action),
    [document, event, test, action],
  );
  const index = ruleIndex(document.rules);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const insert = () => {
    if (!proposal.ok) return;
    const { rules, rule } = proposal.value;
    useDocumentStore.getState().editRules(() => rules, [rule.id]);
    onClose();
  };

  return (
    <div
      className="make-rule"
      role="dialog"
      aria-label="Make a rule from this event"
      data-testid="make-rule"
    >
      <header>Make a rule from this packet</header>
      {!proposal.ok ? (
        <p className="panel-error">Cannot read this event as a packet: {proposal.error}</p>
      ) : (
        <>
          <div className="make-rule-fields">
            <label>
              Test
              <select value={test} onChange={(e) => setTest(e.target.value as ProposalTest)}>
                {tests.map((t) => (
                  <option key={t} value={t}>
                    {TEST_LABEL[t]}
                  </option>
                ))}
              </select>
            </label>
            <code className="make-rule-rule" data-testid="make-rule-preview">
              {proposal.value.rule.property} {proposal.value.rule.relation}{' '}
              {proposal.value.rule.value}
            </code>
            <label>
              Action
              <select value={action} onChange={(e) => setAction(e.target.value as ActionName)}>
                {ACTIONS.map((a) => (
                  <option key={a}>{a}</option>
                ))}
              </select>
            </label>
          </div>
          <p>
            {proposal.value.beforeId
              ? `Goes before rule ${index.get(proposal.value.beforeId)?.number ?? '?'}, which decides this packet now (${proposal.value.before.verdict}).`
              : `Goes at the end: no rule decides this packet now (the default policy: ${proposal.value.before.verdict}).`}{' '}
            With it the packet is{' '}
            <b data-testid="make-rule-after">{proposal.value.after.verdict}</b>
            {proposal.value.after.matched.includes(proposal.value.rule.id)
              ? ' (the new rule matches).'
              : '.'}
            {event.protocol === 'tcp' && (
              <span className="muted">
                {' '}
                TCP flags are taken as SYN (the log does not record them).
              </span>
            )}
          </p>
        </>
      )}
      <div className="make-rule-buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          disabled={!proposal.ok}
          onClick={insert}
          data-testid="make-rule-insert"
        >
          Insert rule
        </button>
      </div>
    </div>
  );
}
