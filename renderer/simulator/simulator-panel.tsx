// Runtime: browser (renderer/). The simulator: describe a packet (or take one from the log), and
// see the verdict of the rules in the editor — applied or not — with the path it takes marked in
// the outline (tested, matched, deciding rule). Uses the reference evaluator, the same oracle the
// kernel is tested against, so what it says is what the compiled rules do.

import { useEffect, useState, type FormEvent } from 'react';
import { useDocumentStore } from '../store/document-store.ts';
import { jumpToRule } from '../common/jump.ts';
import { describeRule, ruleIndex } from '../common/rule-index.ts';
import { useLogStore } from '../log/log-store.ts';
import { eventToSpec } from '../log/event-packet.ts';
import { useSimStore } from './sim-store.ts';
import { simulateSpec } from './simulate.ts';
import { PacketBuilder } from './packet-builder.tsx';

const EXAMPLES = [
  'in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:22 flags syn',
  'in eth0 tcp 192.0.2.7:40000 > 10.0.0.1:80 flags syn',
  'in eth0 udp 192.0.2.7:5353 > 10.0.0.1:137',
  'in eth0 icmp 192.0.2.7 > 10.0.0.1 type 8',
  'out eth0 tcp 10.0.0.1:50000 > 198.51.100.3:443 flags syn',
];

export function SimulatorPanel() {
  const spec = useSimStore((s) => s.spec);
  const simulation = useSimStore((s) => s.simulation);
  const rules = useDocumentStore((s) => s.document.rules);
  const events = useLogStore((s) => s.events);
  const [error, setError] = useState<string | null>(null);

  const run = (text: string, reveal = true) => setError(simulateSpec(text, reveal));

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
            if (s?.ok) {
              useSimStore.getState().setSpec(s.value);
              run(s.value);
            }
          }}
          disabled={events.length === 0}
        >
          <option value="">From the log…</option>
          {events.slice(0, 30).map((x) => (
            <option key={x.seq} value={x.seq}>
              {x.ruleNumber ?? '?'} {x.action} {x.protocol} {x.src} → {x.dst}
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
        <code>in|out [iface] tcp|udp|icmp|proto N src[:port] &gt; dst[:port]</code> then optional{' '}
        <code>flags syn,ack</code> <code>type 8</code> <code>len 60</code> <code>ttl 64</code>{' '}
        <code>state new</code> <code>payload "text"</code> — judged by the rules in the editor,
        applied or not.
      </div>
      {error && (
        <div className="panel-error" data-testid="sim-error">
          {error}
        </div>
      )}
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
            {ev.logged && <span className="tag">logged</span>}
            {ev.stateChanges.triggered.length > 0 && <span className="tag">source triggered</span>}
          </div>
          <ul className="sim-path" data-testid="sim-path">
            {ev.tested.map((id) => {
              const matched = simulation.matched.has(id);
              const actions = ev.actions.filter((a) => a.ruleId === id).map((a) => a.action);
              return (
                <li
                  key={id}
                  className={
                    id === ev.verdictRuleId ? 'verdict-row' : matched ? 'matched' : 'missed'
                  }
                >
                  <button type="button" className="rule-link" onClick={() => jumpToRule(id)}>
                    {index.get(id)?.number ?? '?'}
                  </button>{' '}
                  <span className="sim-rule">
                    {describeRule(index.get(id)).replace(/^\S+ /, '')}
                  </span>{' '}
                  <span className="muted">{matched ? 'matched' : 'not matched'}</span>
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
