// Runtime: browser (renderer/). The triggered-address table (IPNetSentryX's "Triggered" window):
// address, type, the rule that triggered it (click: show it in the outline), first and last
// seen, hits, time left; add, remove, flush, import and export as tab-separated text.
// Live: listed each second while this panel is open, and at once on `triggered:changed`.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { TRIGGERED_TYPES } from '../../shared/ipc/helper-protocol.ts';
import type { TriggeredEntry, TriggeredType } from '../../shared/ipc/app-api.ts';
import { firstFailure, targetCall } from '../fleet/target-call.ts';
import { targetConnected, useFleetStore } from '../store/fleet-store.ts';
import { ask, useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { formatDuration, formatTime } from '../common/format.ts';
import { jumpToRule } from '../common/jump.ts';
import { RuleNumber } from '../store/rule-numbers.tsx';
import { useLogStore } from '../log/log-store.ts';
import { PanelError, reportPanel } from '../common/panel-error.tsx';
import { refreshTriggered, TABLE_LABELS, useTriggeredStore } from './triggered-store.ts';

/** A Triggered action's outcome: its error in this panel, or the earlier one cleared. */
const panelError = (message: string | null, detail?: string) =>
  reportPanel('triggered', message, detail);

const POLL_MS = 1000;

/** The durations IPNetSentryX offers, in seconds (0: unlimited). */
const DURATIONS: readonly [string, number | null][] = [
  ['Document default', null],
  ['1 minute', 60],
  ['10 minutes', 600],
  ['1 hour', 3600],
  ['10 hours', 36000],
  ['1 day', 86400],
  ['10 days', 864000],
  ['Unlimited', 0],
];

/** Last time the log saw this source address (the helper's list has the first time only). */
function useLastSeen(): ReadonlyMap<string, number> {
  const events = useLogStore((s) => s.events);
  const [map, setMap] = useState<ReadonlyMap<string, number>>(new Map());
  useEffect(() => {
    const m = new Map<string, number>();
    // Newest first: the first event per address is its last sighting.
    for (const e of events) if (e.src && !m.has(e.src)) m.set(e.src, Date.parse(e.time));
    setMap(m);
  }, [events]);
  return map;
}

export function TriggeredPanel() {
  const { entries, error, listedAt } = useTriggeredStore();
  // Follows the host picker: this machine's helper, or the fleet hosts it selected.
  const localConnected = useAppStore((s) => s.helper?.connected === true);
  const connected = useFleetStore((s) => targetConnected(s, localConnected));
  const [now, setNow] = useState(Date.now());
  const lastSeen = useLastSeen();

  useEffect(() => {
    if (!connected) return;
    void refreshTriggered();
    const timer = setInterval(() => {
      setNow(Date.now());
      void refreshTriggered();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [connected]);

  const remove = async (e: TriggeredEntry) => {
    const failed = firstFailure(
      await targetCall('triggered.remove', { address: e.address, type: e.type }),
    );
    panelError(failed === null ? null : `Could not remove ${e.address}: ${failed}`);
    await refreshTriggered();
  };

  const flush = async () => {
    const choice = await ask(
      'Remove every triggered address?',
      'Hosts banned by Trigger rules can reach this machine again until they trigger again.',
      ['Remove All', 'Cancel'],
    );
    if (choice !== 'Remove All') return;
    const failed = firstFailure(await targetCall('triggered.flush', {}));
    panelError(failed === null ? null : `Remove All failed: ${failed}`);
    await refreshTriggered();
  };

  const exportTsv = async () => {
    const results = await targetCall('triggered.export', {});
    const failed = firstFailure(results);
    if (failed !== null) return panelError(`Export failed: ${failed}`);
    panelError(null);
    const text = results.map((x) => (x.result.ok ? x.result.value.text : '')).join('');
    download('triggered-addresses.tsv', text, 'text/tab-separated-values');
  };

  return (
    <div className="triggered-panel" data-testid="triggered-panel">
      <div className="panel-toolbar">
        <AddForm disabled={!connected} />
        <span className="spacer" />
        <ImportButton disabled={!connected} />
        <button type="button" onClick={() => void exportTsv()} disabled={!connected}>
          Export…
        </button>
        <button
          type="button"
          onClick={() => void flush()}
          disabled={!connected || entries.length === 0}
          data-testid="triggered-flush"
        >
          Remove All
        </button>
      </div>
      <PanelError panel="triggered" />
      {!connected ? (
        <div className="panel-empty">
          No helper connected: the triggered tables live in the helper.
        </div>
      ) : error ? (
        <div className="panel-empty panel-error">{error}</div>
      ) : (
        <div className="table-scroll">
          <table className="live-table triggered-table" data-testid="triggered-table">
            <thead>
              <tr>
                <th>Address</th>
                <th>Type</th>
                <th>Triggered by</th>
                <th title="When the helper saw this address triggered">First seen</th>
                <th title="The newest logged packet from this address since this window opened (a Dont log rule hides the rest)">
                  Last seen
                </th>
                <th className="num">Hits</th>
                <th className="num">Time left</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const seen = lastSeen.get(e.address);
                return (
                  <tr
                    key={`${e.type}|${e.address}`}
                    data-testid="triggered-row"
                    data-address={e.address}
                  >
                    <td className="mono">{e.address}</td>
                    <td>{TABLE_LABELS[e.type]}</td>
                    <td>
                      {e.ruleId ? (
                        <button
                          type="button"
                          className="rule-link"
                          data-testid="triggered-rule"
                          onClick={() => jumpToRule(e.ruleId, e.ruleNumber)}
                          title="Show this rule in the outline"
                        >
                          <RuleNumber ruleId={e.ruleId} numberThen={e.ruleNumber} />
                        </button>
                      ) : (
                        <span className="muted">added by hand</span>
                      )}
                    </td>
                    <td>{e.triggeredAt ? formatTime(Date.parse(e.triggeredAt), now) : '—'}</td>
                    <td>{seen ? formatTime(seen, now) : '—'}</td>
                    <td className="num">{e.hits ?? '—'}</td>
                    <td className="num">
                      {e.expiresAt
                        ? formatDuration((Date.parse(e.expiresAt) - now) / 1000)
                        : 'never expires'}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="row-remove"
                        data-testid="triggered-remove"
                        aria-label={`Remove ${e.address}`}
                        title="Remove: the host can reach this machine again"
                        onClick={() => void remove(e)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {entries.length === 0 && (
            <div className="panel-empty">
              No triggered addresses{listedAt ? ` (checked ${formatTime(listedAt, now)})` : ''}.
            </div>
          )}
        </div>
      )}
    </div>
  );
}

function AddForm({ disabled }: { disabled: boolean }) {
  const [address, setAddress] = useState('');
  const [type, setType] = useState<TriggeredType>('trigger');
  const [duration, setDuration] = useState<number | null>(null);
  const defaultSeconds = useDocumentStore((s) => s.document.settings.defaultTriggerDuration);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const a = address.trim();
    if (!a) return;
    // The tables hold host addresses, as IPNetSentryX's do (the kernel adds to them per packet,
    // which sets of networks cannot do): say so and what to use instead.
    if (a.includes('/'))
      return panelError(
        `Could not add ${a}: the triggered tables hold single addresses, not networks. To match a network, use a rule testing Source net.`,
      );
    const failed = firstFailure(
      await targetCall('triggered.add', {
        address: a,
        type,
        // The helper's default is the applied document's; say the editor's when it is meant.
        durationSeconds: duration ?? defaultSeconds,
      }),
    );
    if (failed !== null) return panelError(`Could not add ${a}: ${failed}`);
    panelError(null);
    setAddress('');
    await refreshTriggered();
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <input
        placeholder="IPv4 or IPv6 address"
        title="One host address: the triggered tables hold addresses, not networks"
        aria-label="Address to add"
        data-testid="triggered-address"
        value={address}
        onChange={(e) => setAddress(e.target.value)}
        disabled={disabled}
      />
      <select
        aria-label="Table"
        value={type}
        onChange={(e) => setType(e.target.value as TriggeredType)}
        disabled={disabled}
      >
        {TRIGGERED_TYPES.map((t) => (
          <option key={t} value={t}>
            {TABLE_LABELS[t]}
          </option>
        ))}
      </select>
      <select
        aria-label="Duration"
        value={duration === null ? '' : String(duration)}
        onChange={(e) => setDuration(e.target.value === '' ? null : Number(e.target.value))}
        disabled={disabled}
      >
        {DURATIONS.map(([label, s]) => (
          <option key={label} value={s === null ? '' : String(s)}>
            {label}
          </option>
        ))}
      </select>
      <button type="submit" disabled={disabled || !address.trim()} data-testid="triggered-add">
        Add
      </button>
    </form>
  );
}

function ImportButton({ disabled }: { disabled: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const onFile = async (file: File | undefined) => {
    if (!file) return;
    const results = await targetCall('triggered.import', { text: await file.text() });
    if (input.current) input.current.value = '';
    const failed = firstFailure(results);
    if (failed !== null) return panelError(`Import failed: ${failed}`);
    const first = results[0]?.result;
    if (!first?.ok) return;
    const { added, skipped } = first.value;
    if (!skipped.length) panelError(null);
    else
      panelError(
        `Imported ${added} ${added === 1 ? 'address' : 'addresses'}; ${skipped.length} ${skipped.length === 1 ? 'line' : 'lines'} could not be read.`,
        skipped
          .slice(0, 10)
          .map((s) => `line ${s.line}: ${s.message}`)
          .join('\n'),
      );
    await refreshTriggered();
  };
  return (
    <>
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        Import…
      </button>
      <input
        ref={input}
        type="file"
        accept=".tsv,.txt,text/plain,text/tab-separated-values"
        hidden
        data-testid="triggered-import"
        onChange={(e) => void onFile(e.target.files?.[0])}
      />
    </>
  );
}

/** Save text as a file: the browser's download (Electron shows its save dialog). */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
