// Runtime: browser (renderer/). The simulator: describe a packet (or take one from the log), and
// see the verdict of the rules in the editor — applied or not — with the path it takes marked in
// the outline (tested, matched, deciding rule) and listed step by step: the rules tested after
// the verdict was fixed (a terminating rule's children, for side effects only), rules a `++`
// skipped, an Exit group leaving its group, and both tests of a routed packet. Uses the
// reference evaluator, the same oracle the kernel is tested against, so what it says is what the
// compiled rules do.

import { useEffect, type FormEvent } from 'react';
import type { Evaluation, Step } from '../../shared/evaluator/index.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { jumpToRule } from '../common/jump.ts';
import { describeRule, ruleIndex } from '../common/rule-index.ts';
import { useLogStore } from '../log/log-store.ts';
import { eventToSpec } from '../log/event-packet.ts';
import { useSimStore } from './sim-store.ts';
import { simulateFailed, simulateSpec } from './simulate.ts';
import { PanelError } from '../common/panel-error.tsx';
import { PacketBuilder } from './packet-builder.tsx';
import { currentNumbers } from '../store/rule-numbers.tsx';

const EXAMPLES = [
  'in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:22 flags syn',
  'in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:80 flags syn',
  'in eth0 udp 192.0.2.7:5353 > 10.0.0.1:137',
  'in eth0 icmp 192.0.2.7 > 10.0.0.1 type 8',
  'out eth0 tcp 10.0.0.1:50000 > 198.51.100.3:443 flags syn',
  'routed eth0 eth1 tcp 192.0.2.7:40000 > 10.1.0.5:22 flags syn',
];

/** What a step did, in words. */
function stepText(step: Step, verdictAction: string | undefined, hasChildren: boolean): string {
  if (step.kind === 'skipped') return 'skipped by ++ (not tested)';
  if (step.kind === 'miss') return 'not matched';
  switch (step.effect) {
    case 'verdict':
      if (verdictAction === 'Port forward')
        return 'matched on arrival, before the filter: translates the destination; its connection passes';
      if (verdictAction === 'Route to')
        return 'matched: decides (Route to: sent to its next hop); its children never run';
      if (verdictAction === 'Delay')
        return 'matched: decides (Delay: an arriving packet is held by the helper for its time, then passes; one this host sends passes at once); its children never run';
      return `matched: decides (${verdictAction ?? 'verdict'})${hasChildren ? ', then its children run for side effects' : ''}`;
    case 'ends side effects':
      return 'matched: a verdict is already fixed, so it changes nothing and ends the side effects';
    case 'exit group':
      return 'matched: leaves the group (its children do not run)';
    case 'skip next':
      return 'matched: skips the next rule';
    default:
      return 'matched';
  }
}

function stepClass(step: Step, ev: Evaluation): string {
  if (step.kind === 'skipped') return 'skipped';
  if (step.kind === 'miss') return 'missed';
  if (step.effect === 'verdict' && step.ruleId === ev.verdictRuleId) return 'verdict-row';
  return 'matched';
}

const PASS_TITLE = { arrival: 'On arrival', departure: 'On departure' } as const;

export function SimulatorPanel() {
  const spec = useSimStore((s) => s.spec);
  const simulation = useSimStore((s) => s.simulation);
  const rules = useDocumentStore((s) => s.document.rules);
  const events = useLogStore((s) => s.events);
  // The log's rule numbers are from when the packet was logged: show today's.
  const numbers = useDocumentStore((s) => currentNumbers(s.document.rules));
  const run = (text: string, reveal = true) => void simulateSpec(text, reveal);

  // The rules changed under a shown simulation: judge the same packet again (no scrolling).
  useEffect(() => {
    const sim = useSimStore.getState().simulation;
    if (sim) run(sim.spec, false);
  }, [rules]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(spec);
  };

  const index = ruleIndex(rules);
  const ev = simulation?.evaluation;
  return (
    <div className="simulator-panel" data-testid="simulator-panel">
      <form className="panel-toolbar" onSubmit={submit}>
        <input
          className="sim-spec mono"
          list="sim-examples"
          aria-label="Packet"
          data-testid="sim-spec"
          spellCheck={false}
          value={spec}
          onChange={(e) => useSimStore.getState().setSpec(e.target.value)}
        />
        <datalist id="sim-examples">
          {EXAMPLES.map((x) => (
            <option key={x} value={x} />
          ))}
        </datalist>
        <select
          aria-label="Packet from the log"
          value=""
          onChange={(e) => {
            const picked = events.find((x) => String(x.seq) === e.target.value);
            const s = picked && eventToSpec(picked);
            if (!s) return;
            if (!s.ok) return simulateFailed(`This log entry cannot be simulated: ${s.error}`);
            useSimStore.getState().setSpec(s.value);
            run(s.value);
          }}
          disabled={events.length === 0}
        >
          <option value="">From the log…</option>
          {events.slice(0, 30).map((x) => (
            <option key={x.seq} value={x.seq}>
              {(x.ruleId ? numbers.get(x.ruleId) : undefined) ?? x.ruleNumber ?? '?'} {x.action}{' '}
              {x.protocol} {x.src} → {x.dst}
              {x.dstPort !== null ? `:${x.dstPort}` : ''}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" data-testid="sim-run">
          Simulate
        </button>
        <button type="button" onClick={() => useSimStore.getState().clear()} disabled={!simulation}>
          Clear
        </button>
      </form>
      <PacketBuilder onRun={run} />
      <div className="sim-help muted">
        <code>in|out [iface] tcp|udp|icmp|proto N src[:port] &gt; dst[:port]</code> (or{' '}
        <code>routed in-iface out-iface ...</code> for a packet routed through this host) then
        optional <code>flags syn,ack</code> <code>type 8</code> <code>len 60</code>{' '}
        <code>ttl 64</code> <code>state new</code> <code>payload "text"</code> — judged by the rules
        in the editor, applied or not.
      </div>
      <PanelError panel="simulator" />
      {ev && (
        <div className="sim-result">
          <div className="sim-verdict">
            <span
              className={`verdict verdict-${ev.verdict.replace(' ', '-')}`}
              data-testid="sim-verdict"
            >
              {ev.verdict}
            </span>
            {ev.verdictRuleId ? (
              <>
                by{' '}
                <button
                  type="button"
                  className="rule-link"
                  onClick={() => jumpToRule(ev.verdictRuleId!)}
                >
                  {describeRule(index.get(ev.verdictRuleId))}
                </button>
              </>
            ) : (
              <span>by the default policy (no rule decided)</span>
            )}
            {ev.translated && (
              <span className="tag" data-testid="sim-translated">
                forwarded to{' '}
                {ev.translated.dst.includes(':') && ev.translated.dstPort !== undefined
                  ? `[${ev.translated.dst}]`
                  : ev.translated.dst}
                {ev.translated.dstPort !== undefined ? `:${ev.translated.dstPort}` : ''} on arrival,
                before the filter (its connection passes)
              </span>
            )}
            {ev.logged && <span className="tag">logged</span>}
            {ev.stateChanges.triggered.length > 0 && <span className="tag">source triggered</span>}
          </div>
          {ev.passes && (
            <div className="sim-passes muted" data-testid="sim-passes">
              Routed through this host: tested{' '}
              {ev.passes
                .map(
                  (p) =>
                    `${p.pass === 'arrival' ? 'on arrival' : 'on departure'} (${p.direction}${p.interface ? ` ${p.interface}` : ''}): ${p.verdict}`,
                )
                .join(', then ')}
              {ev.passes.length === 1 && ' (not tested on departure: it did not pass)'}
            </div>
          )}
          <ul className="sim-path" data-testid="sim-path">
            {ev.steps.map((step, i) => {
              const actions = ev.actions
                .filter((a) => a.ruleId === step.ruleId && step.kind === 'match')
                .map((a) => a.action);
              const head =
                step.pass !== undefined && (i === 0 || ev.steps[i - 1]?.pass !== step.pass);
              const firstAfter =
                step.afterVerdict && (i === 0 || !ev.steps[i - 1]?.afterVerdict || head);
              return (
                <li
                  key={`${i}-${step.ruleId}`}
                  className={`${stepClass(step, ev)}${step.afterVerdict ? ' after-verdict' : ''}`}
                  data-testid="sim-step"
                  data-kind={step.kind}
                  data-effect={step.effect ?? ''}
                  data-after-verdict={step.afterVerdict ? 'true' : 'false'}
                >
                  {head && <div className="sim-pass-title">{PASS_TITLE[step.pass!]}</div>}
                  {firstAfter && (
                    <div className="sim-after-title muted">
                      verdict fixed; its children, for side effects only:
                    </div>
                  )}
                  <button
                    type="button"
                    className="rule-link"
                    onClick={() => jumpToRule(step.ruleId)}
                  >
                    {index.get(step.ruleId)?.number ?? '?'}
                  </button>{' '}
                  <span className="sim-rule">
                    {describeRule(index.get(step.ruleId)).replace(/^\S+ /, '')}
                  </span>{' '}
                  <span className="muted">
                    {stepText(
                      step,
                      ev.verdictAction,
                      (index.get(step.ruleId)?.rule.children.length ?? 0) > 0,
                    )}
                  </span>
                  {actions.length > 0 && <span className="tag">{actions.join(', ')}</span>}
                </li>
              );
            })}
          </ul>
          {ev.problems.length > 0 && (
            <div className="panel-error">
              {ev.problems
                .map((p) => `${index.get(p.ruleId)?.number ?? p.ruleId}: ${p.message}`)
                .join('; ')}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
