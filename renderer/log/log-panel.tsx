// Runtime: browser (renderer/). The Sentry Log: a live, virtualized list of log events (only
// the rows in view exist in the DOM, so 20,000 events scroll like 20), filters by rule, action,
// address and protocol, pause, clear, export as text or as a property list. Clicking an event
// selects its rule in the outline; "Make rule…" proposes a rule from it; "Simulate" sends it
// to the simulator.

import { useLayoutEffect, useMemo, useRef, useState, type UIEvent } from 'react';
import { buildXmlPlist } from '../../shared/plist/xml.ts';
import type { PlistValue } from '../../shared/model/types.ts';
import type { LogEvent } from '../../shared/ipc/app-api.ts';
import { jumpToRule } from '../common/jump.ts';
import { formatTime } from '../common/format.ts';
import { download } from '../triggered/triggered-panel.tsx';
import { useLiveDock } from '../live/live-dock-store.ts';
import { simulateFailed, simulateSpec } from '../simulator/simulate.ts';
import { eventToSpec } from './event-packet.ts';
import { eventsToText, filterEvents, useLogStore, type LoggedEvent } from './log-store.ts';
import { MakeRule } from './make-rule.tsx';
import { RuleNumber } from '../store/rule-numbers.tsx';
import { PanelError } from '../common/panel-error.tsx';

const ROW = 20;
const OVERSCAN = 8;

function eventsToPlist(events: readonly LogEvent[]): string {
  const list: PlistValue[] = events.map((e) => {
    const d: Record<string, PlistValue> = {};
    for (const [k, v] of Object.entries(e)) if (v !== null && k !== 'seq') d[k] = v as PlistValue;
    return d;
  });
  return buildXmlPlist(list);
}

export function LogPanel() {
  const events = useLogStore((s) => s.events);
  const pending = useLogStore((s) => s.pending.length);
  const paused = useLogStore((s) => s.paused);
  const filters = useLogStore((s) => s.filters);
  const selectedSeq = useLogStore((s) => s.selectedSeq);
  const shown = useMemo(() => filterEvents(events, filters), [events, filters]);
  const [proposing, setProposing] = useState<LoggedEvent | null>(null);
  const actions = useMemo(() => [...new Set(events.map((e) => e.action))].sort(), [events]);
  const protocols = useMemo(
    () => [...new Set(events.map((e) => e.protocol ?? '').filter(Boolean))].sort(),
    [events],
  );
  const { setFilters, setPaused, clear, select } = useLogStore.getState();

  const onPick = (e: LoggedEvent) => {
    select(e.seq);
    jumpToRule(e.ruleId, e.ruleNumber);
  };
  const simulate = (e: LoggedEvent) => {
    const spec = eventToSpec(e);
    if (spec.ok) simulateSpec(spec.value);
    else simulateFailed(`This log entry cannot be simulated: ${spec.error}`);
    useLiveDock.getState().show('simulator');
  };
  const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

  return (
    <div className="log-panel" data-testid="log-panel">
      <PanelError panel="log" />
      <div className="panel-toolbar">
        <input
          className="filter-rule"
          placeholder="Rule (2.6 or id)"
          aria-label="Filter by rule"
          value={filters.rule}
          onChange={(e) => setFilters({ rule: e.target.value })}
        />
        <select
          aria-label="Filter by action"
          value={filters.action}
          onChange={(e) => setFilters({ action: e.target.value })}
        >
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <input
          placeholder="Address"
          aria-label="Filter by address"
          value={filters.address}
          onChange={(e) => setFilters({ address: e.target.value })}
        />
        <select
          aria-label="Filter by protocol"
          value={filters.protocol}
          onChange={(e) => setFilters({ protocol: e.target.value })}
        >
          <option value="">All protocols</option>
          {protocols.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <span className="log-count" data-testid="log-count">
          {shown.length === events.length
            ? `${events.length.toLocaleString()} ${events.length === 1 ? 'event' : 'events'}`
            : `${shown.length.toLocaleString()} of ${events.length.toLocaleString()}`}
        </span>
        <span className="spacer" />
        <button
          type="button"
          aria-pressed={paused}
          data-testid="log-pause"
          onClick={() => setPaused(!paused)}
          title={
            paused
              ? 'Show the events that arrived while paused'
              : 'Freeze the list; events keep arriving'
          }
        >
          {paused ? `Resume${pending ? ` (${pending} new)` : ''}` : 'Pause'}
        </button>
        <button type="button" onClick={clear} disabled={!events.length}>
          Clear
        </button>
        <button
          type="button"
          disabled={!shown.length}
          onClick={() => download(`treewall-log-${stamp()}.txt`, eventsToText(shown), 'text/plain')}
        >
          Export text
        </button>
        <button
          type="button"
          disabled={!shown.length}
          onClick={() =>
            download(`treewall-log-${stamp()}.plist`, eventsToPlist(shown), 'application/x-plist')
          }
        >
          Export plist
        </button>
      </div>
      <div className="log-head log-row">
        <span className="l-time">Time</span>
        <span className="l-rule">Rule</span>
        <span className="l-action">Action</span>
        <span className="l-if">Interface</span>
        <span className="l-proto">Proto</span>
        <span className="l-src">Source</span>
        <span className="l-dst">Destination</span>
        <span className="l-len">Length</span>
        <span className="l-tools" />
      </div>
      <VirtualList
        events={shown}
        selectedSeq={selectedSeq}
        onPick={onPick}
        onPropose={setProposing}
        onSimulate={simulate}
      />
      {proposing && <MakeRule event={proposing} onClose={() => setProposing(null)} />}
    </div>
  );
}

const endpoint = (a: string | null, p: number | null) =>
  a === null ? '—' : p === null ? a : a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`;

function VirtualList(props: {
  events: readonly LoggedEvent[];
  selectedSeq: number | null;
  onPick(e: LoggedEvent): void;
  onPropose(e: LoggedEvent): void;
  onSimulate(e: LoggedEvent): void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(200);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { events } = props;
  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(events.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const now = Date.now();
  return (
    <div
      className="log-scroll"
      ref={box}
      onScroll={(e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop)}
      role="list"
      aria-label="Log events"
      data-testid="log-list"
    >
      {events.length === 0 && <div className="panel-empty">No log events yet.</div>}
      <div style={{ height: events.length * ROW, position: 'relative' }}>
        {events.slice(first, last).map((e, i) => (
          <div
            key={e.seq}
            role="listitem"
            className={`log-row ${e.seq === props.selectedSeq ? 'selected' : ''} ${(first + i) % 2 ? 'odd' : ''} act-${e.action.toLowerCase().replace(/\W+/g, '-')}`}
            style={{ top: (first + i) * ROW }}
            data-testid="log-event"
            data-rule-id={e.ruleId ?? undefined}
            onClick={() => props.onPick(e)}
            title="Click: show the rule in the outline"
          >
            <span className="l-time">{formatTime(Date.parse(e.time), now)}</span>
            <span className="l-rule">
              <RuleNumber ruleId={e.ruleId} numberThen={e.ruleNumber} />
            </span>
            <span className="l-action">{e.action}</span>
            <span className="l-if">{e.inInterface ?? e.outInterface ?? ''}</span>
            <span className="l-proto">{e.protocol ?? ''}</span>
            <span className="l-src mono">{endpoint(e.src, e.srcPort)}</span>
            <span className="l-dst mono">{endpoint(e.dst, e.dstPort)}</span>
            <span className="l-len">{e.length}</span>
            <span className="l-tools">
              <button
                type="button"
                data-testid="log-simulate"
                title="Simulate this packet against the rules in the editor"
                onClick={(ev) => {
                  ev.stopPropagation();
                  props.onSimulate(e);
                }}
              >
                Simulate
              </button>
              <button
                type="button"
                data-testid="log-make-rule"
                title="Propose a rule for this packet, placed where the packet would reach it"
                onClick={(ev) => {
                  ev.stopPropagation();
                  props.onPropose(e);
                }}
              >
                Make rule…
              </button>
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}
