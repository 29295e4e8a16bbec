// Runtime: browser (renderer/). The Fleet tab of the live dock: every host of the fleet file with
// whether it is reachable, whether its firewall is on, which document it runs (fingerprint), how
// that differs from the outline in the window, its last apply and its counters, refreshed live;
// errors per host in words. The hosts are edited here (add, rename, regroup, remove) and saved to
// the fleet file through the backend; "Apply to…" starts a staged rollout whose per-host results
// show in the table. Rows select their own host's state: one host's tick re-renders one row.

import { memo, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { FleetHostEntry, FleetHostState, Rollout } from '../../shared/ipc/app-api.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import { invoke } from '../backend.ts';
import { formatBytes, formatCount, formatRate, formatTime } from '../common/format.ts';
import { differsFromActive } from '../store/apply-outcome.ts';
import { ask } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import {
  fleetGroups,
  hostsOf,
  parseTargetKey,
  setTarget,
  targetKey,
  targetLabel,
  useFleetStore,
  type LiveTarget,
} from '../store/fleet-store.ts';
import {
  dismissRollout,
  hostEntryProblem,
  keepCanary,
  parseGroups,
  saveHosts,
  startRollout,
  stopRollout,
} from './fleet-actions.ts';
import {
  MAX_CONFIRM_SECONDS,
  MIN_CONFIRM_SECONDS,
  parseConfirmSeconds,
  useRolloutPrefs,
} from './rollout-prefs.ts';

/** The key of the rules in force on a host: they are read back when it changes. */
const inForceKey = (s: FleetHostState | undefined) =>
  s?.reachable && s.status?.active
    ? `${s.status.appliedAt}|${s.status.helper?.documentHash ?? ''}`
    : null;

/** Read back each reachable host's rules in force whenever its apply changes (for drift). */
function useInForce(): void {
  const states = useFleetStore((s) => s.states);
  useEffect(() => {
    const { inForce } = useFleetStore.getState();
    for (const [name, state] of Object.entries(states)) {
      const key = inForceKey(state);
      if (key === null || inForce[name]?.key === key) continue;
      useFleetStore.setState((s) => ({
        inForce: { ...s.inForce, [name]: { key, document: null } },
      }));
      void invoke('host:showActive', { host: name, params: {} }).then((r) => {
        if (!r.ok) return;
        useFleetStore.setState((s) =>
          s.inForce[name]?.key === key
            ? { inForce: { ...s.inForce, [name]: { key, document: r.value.document } } }
            : {},
        );
      });
    }
  }, [states]);
}

type Drift =
  | { kind: 'unknown'; text: string }
  | { kind: 'same' | 'differs' | 'by-hand' | 'off'; text: string };

function driftOf(
  state: FleetHostState | undefined,
  inForce: { key: string; document: FirewallDocument | null } | undefined,
  document: FirewallDocument,
): Drift {
  if (!state?.reachable) return { kind: 'unknown', text: '—' };
  if (!state.status?.active) return { kind: 'off', text: 'firewall off' };
  if (state.status.helper && !state.status.helper.matchesApplied)
    return { kind: 'by-hand', text: 'table changed by hand' };
  if (!inForce || inForce.key !== inForceKey(state) || !inForce.document)
    return { kind: 'unknown', text: 'reading…' };
  return differsFromActive(document, inForce.document)
    ? { kind: 'differs', text: 'differs from outline' }
    : { kind: 'same', text: 'same as outline' };
}

const ROLLOUT_LABEL: Record<Rollout['hosts'][number]['state'], string> = {
  waiting: 'waiting',
  applying: 'applying…',
  confirming: 'confirming…',
  kept: 'kept',
  'rolled-back': 'rolled back',
  failed: 'failed',
  skipped: 'skipped',
};

const HostRow = memo(function HostRow({
  entry,
  index,
  document,
  onEdit,
  onRemove,
}: {
  entry: FleetHostEntry;
  index: number;
  document: FirewallDocument;
  onEdit(index: number): void;
  onRemove(index: number): void;
}) {
  const state = useFleetStore((s) => s.states[entry.name]);
  const totals = useFleetStore((s) => s.totals[entry.name]);
  const inForce = useFleetStore((s) => s.inForce[entry.name]);
  const showing = useFleetStore((s) => s.target.kind === 'host' && s.target.name === entry.name);
  const result = useFleetStore((s) => s.rollout?.hosts.find((h) => h.name === entry.name));
  // Comparing with the outline walks both documents: only after the outline settles.
  const [drift, setDrift] = useState<Drift>({ kind: 'unknown', text: '—' });
  useEffect(() => {
    const t = setTimeout(() => setDrift(driftOf(state, inForce, document)), 150);
    return () => clearTimeout(t);
  }, [state, inForce, document]);

  const status = state?.status ?? null;
  const reachable = state?.reachable === true;
  // Not reached yet and no error: the first attempt is still under way.
  const connecting = !state || (!reachable && state.error === null);
  const error = state?.error ?? null;
  const fingerprint = state?.fingerprint ?? null;
  return (
    <>
      <tr
        data-testid="fleet-row"
        data-host={entry.name}
        data-reachable={connecting ? 'unknown' : String(reachable)}
        data-active={status?.active ? 'true' : 'false'}
        data-drift={drift.kind}
        data-rollout={result?.state}
        className={showing ? 'fleet-showing' : undefined}
      >
        <td>
          <span className={`dot ${connecting ? 'off' : reachable ? 'ok' : 'bad'}`} />
          <b>{entry.name}</b>
          <div className="muted mono fleet-target">{entry.address ?? entry.name}</div>
        </td>
        <td>
          {entry.groups.map((g) => (
            <span key={g} className="tag fleet-group">
              {g}
            </span>
          ))}
        </td>
        <td data-testid="fleet-reachable">
          {connecting ? (
            <span className="muted">connecting…</span>
          ) : reachable ? (
            'reachable'
          ) : (
            <span className="fleet-bad">unreachable</span>
          )}
        </td>
        <td data-testid="fleet-firewall">
          {!reachable ? (
            '—'
          ) : status?.active ? (
            <>
              on{' '}
              <span className="muted">
                {status.ruleCount !== null ? `(${formatCount(status.ruleCount)} rules)` : ''}
              </span>
            </>
          ) : (
            'off'
          )}
        </td>
        <td
          className="mono"
          data-testid="fleet-fingerprint"
          title={fingerprint ? `${fingerprint} (as treewall status --host prints it)` : undefined}
        >
          {reachable && status?.active ? (fingerprint ? fingerprint.slice(0, 10) : '…') : '—'}
        </td>
        <td data-testid="fleet-drift" className={`fleet-drift drift-${drift.kind}`}>
          {drift.text}
        </td>
        <td data-testid="fleet-last-apply">
          {status?.appliedAt ? formatTime(Date.parse(status.appliedAt)) : '—'}
          {status?.pendingConfirm && <span className="tag warn">waiting for Keep</span>}
        </td>
        <td className="num" data-testid="fleet-matches" data-packets={totals?.packets ?? 0}>
          {totals ? formatCount(totals.packets) : '—'}
          {totals && <div className="muted">{formatBytes(totals.bytes)}</div>}
        </td>
        <td className="num" data-testid="fleet-rate">
          {totals && reachable ? formatRate(totals.packetsPerSecond, 'p/s') : '—'}
        </td>
        <td data-testid="fleet-rollout" className={result ? `rollout-${result.state}` : undefined}>
          {result ? ROLLOUT_LABEL[result.state] : ''}
        </td>
        <td className="fleet-actions">
          <button
            type="button"
            className="row-remove"
            data-testid="fleet-show"
            title="Show this host's counters, log and triggered addresses in the outline"
            onClick={() => setTarget({ kind: 'host', name: entry.name })}
          >
            Show
          </button>
          <button
            type="button"
            className="row-remove"
            data-testid="fleet-edit"
            onClick={() => onEdit(index)}
          >
            Edit
          </button>
          <button
            type="button"
            className="row-remove"
            data-testid="fleet-remove"
            aria-label={`Remove ${entry.name} from the fleet`}
            onClick={() => onRemove(index)}
          >
            Remove
          </button>
        </td>
      </tr>
      {(error || result?.message) && (
        <tr className="fleet-error-row" data-testid="fleet-error" data-host={entry.name}>
          <td colSpan={11}>
            {error && <span className="fleet-bad">{error}</span>}
            {result?.message && (
              <span className={error ? 'muted fleet-rollout-message' : 'fleet-rollout-message'}>
                {error ? ' · ' : ''}
                {result.message}
              </span>
            )}
          </td>
        </tr>
      )}
    </>
  );
});

/** Add or edit one host: name, ssh target, groups. */
function HostForm({
  initial,
  others,
  onDone,
}: {
  initial: FleetHostEntry | null;
  others: readonly FleetHostEntry[];
  onDone(entry: FleetHostEntry | null): void;
}) {
  const [name, setName] = useState(initial?.name ?? '');
  const [address, setAddress] = useState(initial?.address ?? '');
  const [groups, setGroups] = useState(initial?.groups.join(', ') ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The remote command, socket and note of an edited host stay as they were.
    const entry: FleetHostEntry = {
      ...initial,
      name: name.trim(),
      groups: parseGroups(groups),
    };
    if (address.trim() && address.trim() !== entry.name) entry.address = address.trim();
    else delete entry.address;
    const p = hostEntryProblem(entry, others);
    if (p) return setProblem(p);
    onDone(entry);
  };
  return (
    <form className="panel-toolbar fleet-form" data-testid="fleet-form" onSubmit={submit}>
      <b>{initial ? `Edit ${initial.name}` : 'Add a host'}</b>
      <input
        aria-label="Host name"
        placeholder="name (web-1)"
        data-testid="fleet-form-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        autoFocus
      />
      <input
        aria-label="ssh address"
        placeholder="[user@]host[:port] or ssh alias (default: the name)"
        data-testid="fleet-form-address"
        className="fleet-form-target"
        value={address}
        onChange={(e) => setAddress(e.target.value)}
      />
      <input
        aria-label="Groups"
        placeholder="groups, comma separated"
        data-testid="fleet-form-groups"
        value={groups}
        onChange={(e) => setGroups(e.target.value)}
      />
      <button type="submit" className="primary" data-testid="fleet-form-save">
        {initial ? 'Save' : 'Add'}
      </button>
      <button type="button" onClick={() => onDone(null)}>
        Cancel
      </button>
      {problem && (
        <span className="fleet-bad" role="alert" data-testid="fleet-form-problem">
          {problem}
        </span>
      )}
    </form>
  );
}

/** How long each host of the next rollout waits for its confirm: the user's choice, checked as
 * typed (a value out of range is marked invalid and not taken: the last valid one stays). */
function ConfirmSecondsField() {
  const seconds = useRolloutPrefs((p) => p.confirmSeconds);
  const [text, setText] = useState(String(seconds));
  const valid = parseConfirmSeconds(text) !== null;
  return (
    <label
      className="fleet-apply-label"
      title={`Each host restores its previous rules unless its apply is confirmed within this time (${MIN_CONFIRM_SECONDS}-${MAX_CONFIRM_SECONDS} s; the CLI's --confirm-timeout)`}
    >
      confirm within
      <input
        aria-label="Confirm within seconds"
        data-testid="fleet-confirm-seconds"
        className="fleet-confirm-seconds"
        inputMode="numeric"
        aria-invalid={!valid}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const n = parseConfirmSeconds(e.target.value);
          if (n !== null) useRolloutPrefs.getState().setConfirmSeconds(n);
        }}
      />
      s
    </label>
  );
}

function RolloutStrip() {
  const rollout = useFleetStore((s) => s.rollout);
  const error = useFleetStore((s) => s.rolloutError);
  const [now, setNow] = useState(Date.now());
  const waiting = rollout?.phase === 'canary-confirm';
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [waiting]);
  if (!rollout && !error) return null;
  if (!rollout)
    return (
      <div className="panel-error panel-action-error" role="alert" data-testid="rollout-error">
        <span>{error}</span>
        <button
          type="button"
          className="banner-close"
          aria-label="Dismiss"
          onClick={dismissRollout}
        >
          ×
        </button>
      </div>
    );
  const count = (state: string) => rollout.hosts.filter((h) => h.state === state).length;
  const n = rollout.hosts.length;
  const left = rollout.canaryDeadline
    ? Math.max(0, Math.ceil((Date.parse(rollout.canaryDeadline) - now) / 1000))
    : null;
  let text: string;
  switch (rollout.phase) {
    case 'canary':
      text = `Applying to the canary ${rollout.canary} first…`;
      break;
    case 'canary-confirm':
      text = `Canary ${rollout.canary}: keep these rules and go on to the other ${n - 1} ${n - 1 === 1 ? 'host' : 'hosts'}? It reverts in ${left ?? '?'} s.`;
      break;
    case 'rest':
      text = `Applying to the other ${n - 1} ${n - 1 === 1 ? 'host' : 'hosts'}, each with its own confirm timeout…`;
      break;
    case 'done':
    case 'stopped':
      text =
        `${rollout.phase === 'stopped' ? 'Stopped' : 'Done'}: ` +
        [
          `${count('kept')} kept`,
          count('rolled-back') && `${count('rolled-back')} rolled back`,
          count('failed') && `${count('failed')} failed`,
          count('skipped') && `${count('skipped')} skipped`,
        ]
          .filter(Boolean)
          .join(', ') +
        ` of ${n}`;
      break;
  }
  const bad = count('failed') + count('rolled-back') > 0;
  return (
    <div
      className={`fleet-rollout ${waiting ? 'waiting' : ''} ${bad ? 'bad' : ''}`}
      data-testid="rollout"
      data-phase={rollout.phase}
      role="status"
    >
      <span data-testid="rollout-text">{text}</span>
      {error && <span className="fleet-bad">{error}</span>}
      <span className="spacer" />
      {waiting && (
        <button
          type="button"
          className="primary"
          data-testid="rollout-keep"
          onClick={() => void keepCanary()}
        >
          Keep and continue
        </button>
      )}
      {(rollout.phase === 'canary' || waiting || rollout.phase === 'rest') && (
        <button type="button" data-testid="rollout-stop" onClick={() => void stopRollout()}>
          Stop
        </button>
      )}
      {(rollout.phase === 'done' || rollout.phase === 'stopped') && (
        <button
          type="button"
          className="banner-close"
          aria-label="Dismiss"
          onClick={dismissRollout}
        >
          ×
        </button>
      )}
    </div>
  );
}

export function FleetPanel() {
  const list = useFleetStore((s) => s.list);
  const listError = useFleetStore((s) => s.listError);
  const target = useFleetStore((s) => s.target);
  const running = useFleetStore(
    (s) => s.rollout !== null && s.rollout.phase !== 'done' && s.rollout.phase !== 'stopped',
  );
  const document = useDocumentStore((s) => s.document);
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const hosts = useMemo(() => list?.hosts ?? [], [list]);
  const groups = useMemo(() => fleetGroups(hosts), [hosts]);
  // Apply to: the picker's target when it is a fleet one, else every host.
  const [applyKey, setApplyKey] = useState<string>('all');
  useEffect(() => {
    if (target.kind !== 'local') setApplyKey(targetKey(target));
  }, [target]);
  const applyTarget: LiveTarget = parseTargetKey(applyKey);
  const applyHosts = hostsOf(applyTarget, hosts);
  useInForce();

  const onRemove = async (index: number) => {
    const h = hosts[index];
    if (!h) return;
    const choice = await ask(
      `Remove ${h.name} from the fleet?`,
      'Its helper and its rules stay as they are; the app only stops talking to it.',
      ['Remove', 'Cancel'],
    );
    if (choice === 'Remove') await saveHosts(hosts.filter((_, i) => i !== index));
  };
  const onForm = async (entry: FleetHostEntry | null) => {
    if (entry === null) return setEditing(null);
    const next =
      editing === 'new' ? [...hosts, entry] : hosts.map((h, i) => (i === editing ? entry : h));
    if (await saveHosts(next)) setEditing(null);
  };

  return (
    <div className="fleet-panel" data-testid="fleet-panel">
      <div className="panel-toolbar">
        <button type="button" data-testid="fleet-add" onClick={() => setEditing('new')}>
          Add host…
        </button>
        <span className="muted fleet-file" title={list?.path ?? undefined}>
          {list?.path ? `Fleet file: ${list.path}` : 'No fleet file yet: adding a host creates it'}
        </span>
        <span className="spacer" />
        <label className="fleet-apply-label">
          Apply the outline to
          <select
            aria-label="Apply to"
            data-testid="fleet-apply-target"
            value={applyKey}
            onChange={(e) => setApplyKey(e.target.value)}
          >
            <option value="all">all hosts ({hosts.length})</option>
            {groups.map((g) => (
              <option key={g} value={`group:${g}`}>
                group {g} ({hostsOf({ kind: 'group', name: g }, hosts).length})
              </option>
            ))}
            {hosts.map((h) => (
              <option key={h.name} value={`host:${h.name}`}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <ConfirmSecondsField />
        <button
          type="button"
          className="primary"
          data-testid="fleet-apply"
          disabled={running || applyHosts.length === 0}
          title={
            applyHosts.length > 1
              ? `${applyHosts[0]} first (the canary, with its confirm countdown), then the other ${applyHosts.length - 1} in parallel, each with its own`
              : undefined
          }
          onClick={() => void startRollout(applyHosts)}
        >
          Apply to {targetLabel(applyTarget, hosts).replace(/^All hosts/, 'all hosts')}…
        </button>
      </div>
      {editing !== null && (
        <HostForm
          key={String(editing)}
          initial={editing === 'new' ? null : (hosts[editing] ?? null)}
          others={hosts.filter((_, i) => i !== editing)}
          onDone={(entry) => void onForm(entry)}
        />
      )}
      {listError && (
        <div className="panel-error" role="alert" data-testid="fleet-list-error">
          {listError}
        </div>
      )}
      <RolloutStrip />
      {hosts.length === 0 ? (
        <div className="panel-empty" data-testid="fleet-empty">
          No hosts yet. Add one by its ssh address (<span className="mono">[user@]host[:port]</span>{' '}
          or an alias from ~/.ssh/config); each host runs its own treewall helper.
        </div>
      ) : (
        <div className="table-scroll">
          <table className="live-table fleet-table" data-testid="fleet-table">
            <thead>
              <tr>
                <th>Host</th>
                <th>Groups</th>
                <th>Reachable</th>
                <th>Firewall</th>
                <th title="The applied document's fingerprint (sha256 of its rules and settings): hosts with the same one run the same rules">
                  Applied
                </th>
                <th title="The rules in force on the host compared with the outline in this window">
                  Drift
                </th>
                <th>Last apply</th>
                <th
                  className="num"
                  title="Sum of every rule's match count on the host (a packet matching several rules counts once per rule)"
                >
                  Matches
                </th>
                <th className="num">Rate</th>
                <th>Rollout</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {hosts.map((h, i) => (
                <HostRow
                  key={h.name}
                  entry={h}
                  index={i}
                  document={document}
                  onEdit={setEditing}
                  onRemove={(index) => void onRemove(index)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
