// Runtime: browser (renderer/). The Sentry Log: log events as the helper streams them, newest
// first, with the filters and the pause switch of the log panel.
// Invariants: at most MAX_EVENTS are kept (the oldest go first); while paused, new events wait
// in `pending` and the list on screen does not move; each event gets a sequence number that is
// its React key and its identity for selection.

import { create } from 'zustand';
import type { LogEvent } from '../../shared/ipc/app-api.ts';

export const MAX_EVENTS = 20_000;

export interface LoggedEvent extends LogEvent {
  seq: number;
}

export interface LogFilters {
  /** Outline number prefix (`2.6` also shows `2.6.1.1.17`), or rule id, or text in the action. */
  rule: string;
  action: string;
  /** Substring of the source or destination address. */
  address: string;
  protocol: string;
}

interface LogState {
  /** Newest first. */
  events: readonly LoggedEvent[];
  pending: readonly LoggedEvent[];
  paused: boolean;
  filters: LogFilters;
  selectedSeq: number | null;
  add(events: readonly LogEvent[]): void;
  setPaused(paused: boolean): void;
  clear(): void;
  setFilters(patch: Partial<LogFilters>): void;
  select(seq: number | null): void;
}

let seq = 0;

const cap = (events: readonly LoggedEvent[]) =>
  events.length > MAX_EVENTS ? events.slice(0, MAX_EVENTS) : events;

export const useLogStore = create<LogState>()((set, get) => ({
  events: [],
  pending: [],
  paused: false,
  filters: { rule: '', action: '', address: '', protocol: '' },
  selectedSeq: null,
  add(incoming) {
    const fresh = incoming.map((e) => ({ ...e, seq: ++seq })).reverse();
    const s = get();
    if (s.paused) set({ pending: cap([...fresh, ...s.pending]) });
    else set({ events: cap([...fresh, ...s.events]) });
  },
  setPaused(paused) {
    const s = get();
    if (paused) set({ paused });
    else set({ paused, events: cap([...s.pending, ...s.events]), pending: [] });
  },
  clear: () => set({ events: [], pending: [], selectedSeq: null }),
  setFilters: (patch) => set({ filters: { ...get().filters, ...patch } }),
  select: (selectedSeq) => set({ selectedSeq }),
}));

export function matchesFilters(e: LogEvent, f: LogFilters): boolean {
  if (f.action && e.action !== f.action) return false;
  if (f.protocol && e.protocol !== f.protocol) return false;
  if (f.address) {
    const a = f.address.trim().toLowerCase();
    if (!(e.src ?? '').toLowerCase().includes(a) && !(e.dst ?? '').toLowerCase().includes(a))
      return false;
  }
  if (f.rule) {
    const r = f.rule.trim();
    const n = e.ruleNumber ?? '';
    if (!(n === r || n.startsWith(`${r}.`) || e.ruleId === r)) return false;
  }
  return true;
}

export function filterEvents(
  events: readonly LoggedEvent[],
  f: LogFilters,
): readonly LoggedEvent[] {
  if (!f.rule && !f.action && !f.address && !f.protocol) return events;
  return events.filter((e) => matchesFilters(e, f));
}

const endpoint = (address: string | null, port: number | null) =>
  address === null
    ? '?'
    : port === null
      ? address
      : address.includes(':')
        ? `[${address}]:${port}`
        : `${address}:${port}`;

/** One line of the text export (and of the panel's copy): tab-separated, header first. */
export function eventToText(e: LogEvent): string {
  return [
    e.time,
    e.ruleNumber ?? '',
    e.action,
    e.direction ?? '',
    e.inInterface ?? e.outInterface ?? '',
    e.protocol ?? '',
    endpoint(e.src, e.srcPort),
    endpoint(e.dst, e.dstPort),
    String(e.length),
  ].join('\t');
}

export const TEXT_HEADER =
  'time\trule\taction\tdirection\tinterface\tprotocol\tsource\tdestination\tlength';

export function eventsToText(events: readonly LogEvent[]): string {
  return [TEXT_HEADER, ...events.map(eventToText)].join('\n') + '\n';
}
