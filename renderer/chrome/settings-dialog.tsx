// Runtime: browser (renderer/). Document Settings: the interfaces `external` and `internal` stand
// for, the default policy, the default Trigger duration and "firewall on at start". The host's
// interfaces come from the helper when one is connected (helper:interfaces), each with an
// External and an Internal box; names typed by hand (an interface that is not up now, `ppp*`)
// are kept. OK commits one undoable edit; the settings' own checks (shared/model) are shown
// before it and block it.

import { useEffect, useState } from 'react';
import type { DefaultPolicy, DocumentSettings } from '../../shared/model/types.ts';
import { validateSettings } from '../../shared/model/validate.ts';
import { invoke } from '../backend.ts';
import { useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';

/** IPNetSentryX's choices for the default Trigger duration, in seconds (0: unlimited). */
export const TRIGGER_DURATIONS: readonly [string, number][] = [
  ['Unlimited', 0],
  ['1 minute', 60],
  ['10 minutes', 600],
  ['1 hour', 3600],
  ['10 hours', 36000],
  ['1 day', 86400],
  ['10 days', 864000],
];

interface HostInterface {
  name: string;
  up: boolean;
  addresses: string[];
}

const splitNames = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s, i, all) => s !== '' && all.indexOf(s) === i);

export function SettingsDialog() {
  const settings = useDocumentStore((s) => s.document.settings);
  const connected = useAppStore((s) => s.helper?.connected === true);
  const [external, setExternal] = useState(settings.externalInterfaces.join(', '));
  const [internal, setInternal] = useState(settings.internalInterfaces.join(', '));
  const [policy, setPolicy] = useState<DefaultPolicy>(settings.defaultPolicy);
  const [duration, setDuration] = useState(settings.defaultTriggerDuration);
  const [firewallOn, setFirewallOn] = useState(settings.firewallOn);
  const [host, setHost] = useState<HostInterface[] | string | null>(null);

  useEffect(() => {
    if (!connected) return setHost('Connect a helper to list this host’s interfaces.');
    let stale = false;
    void invoke('helper:interfaces', {}).then((r) => {
      if (stale) return;
      setHost(r.ok ? r.value.interfaces : `Could not list the interfaces: ${r.error.message}`);
    });
    return () => {
      stale = true;
    };
  }, [connected]);

  const patch: Partial<DocumentSettings> = {
    externalInterfaces: splitNames(external),
    internalInterfaces: splitNames(internal),
    defaultPolicy: policy,
    defaultTriggerDuration: duration,
    firewallOn,
  };
  const problems = validateSettings({ ...settings, ...patch });
  const close = () => useAppStore.getState().setDialog(null);
  const save = () => {
    if (problems.length) return;
    useDocumentStore.getState().setSettings(patch);
    close();
  };

  /** Tick or untick a host interface in one list (and take it out of the other). */
  const mark = (name: string, list: 'external' | 'internal', on: boolean) => {
    const [mine, setMine, other, setOther] =
      list === 'external'
        ? [external, setExternal, internal, setInternal]
        : [internal, setInternal, external, setExternal];
    const names = splitNames(mine).filter((n) => n !== name);
    setMine((on ? [...names, name] : names).join(', '));
    if (on)
      setOther(
        splitNames(other)
          .filter((n) => n !== name)
          .join(', '),
      );
  };
  const externalNames = splitNames(external);
  const internalNames = splitNames(internal);
  const durations = TRIGGER_DURATIONS.some(([, s]) => s === duration)
    ? TRIGGER_DURATIONS
    : [...TRIGGER_DURATIONS, [`${duration} seconds`, duration] as const];

  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <form
        className="modal settings-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Document Settings"
        data-testid="settings-dialog"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') close();
        }}
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h2>Document Settings</h2>
        <fieldset>
          <legend>Interfaces</legend>
          <p className="hint">
            <code>Interface == external</code> and <code>== internal</code> match the interfaces
            listed here. Separate names with commas; a trailing <code>*</code> matches a prefix (
            <code>ppp*</code>).
          </p>
          <label className="field">
            <span>External (toward the Internet)</span>
            <input
              data-testid="settings-external"
              value={external}
              autoFocus
              onChange={(e) => setExternal(e.target.value)}
              placeholder="eth0, wlan0"
            />
          </label>
          <label className="field">
            <span>Internal (your own networks)</span>
            <input
              data-testid="settings-internal"
              value={internal}
              onChange={(e) => setInternal(e.target.value)}
              placeholder="br0, virbr0"
            />
          </label>
          {typeof host === 'string' || host === null ? (
            <p className="hint" data-testid="settings-host-note">
              {host ?? 'Listing this host’s interfaces…'}
            </p>
          ) : (
            <table className="settings-interfaces" data-testid="settings-host-interfaces">
              <caption>This host’s interfaces (from the helper)</caption>
              <thead>
                <tr>
                  <th>Interface</th>
                  <th>Addresses</th>
                  <th>External</th>
                  <th>Internal</th>
                </tr>
              </thead>
              <tbody>
                {host.map((i) => (
                  <tr key={i.name} data-testid="settings-host-interface" data-name={i.name}>
                    <td className="mono">
                      {i.name}
                      {!i.up && <span className="muted"> (down)</span>}
                    </td>
                    <td className="mono muted">{i.addresses.join(' ') || '—'}</td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${i.name} is external`}
                        checked={externalNames.includes(i.name)}
                        onChange={(e) => mark(i.name, 'external', e.target.checked)}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`${i.name} is internal`}
                        checked={internalNames.includes(i.name)}
                        onChange={(e) => mark(i.name, 'internal', e.target.checked)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </fieldset>
        <fieldset>
          <legend>Rules</legend>
          <label className="field">
            <span>Default policy (a packet no rule decided)</span>
            <select
              data-testid="settings-policy"
              value={policy}
              onChange={(e) => setPolicy(e.target.value as DefaultPolicy)}
            >
              <option value="pass">Pass (let it through)</option>
              <option value="delete">Delete (drop it)</option>
            </select>
          </label>
          <label className="field">
            <span>Default Trigger duration (a Trigger rule without a parameter)</span>
            <select
              data-testid="settings-duration"
              value={String(duration)}
              onChange={(e) => setDuration(Number(e.target.value))}
            >
              {durations.map(([label, s]) => (
                <option key={s} value={String(s)}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input
              type="checkbox"
              data-testid="settings-firewall-on"
              checked={firewallOn}
              onChange={(e) => setFirewallOn(e.target.checked)}
            />
            <span>
              Firewall on at start (kept in the document, as IPNetSentryX does; the helper itself
              restores the rules in force at boot when started with <code>--apply-saved</code>)
            </span>
          </label>
        </fieldset>
        {problems.length > 0 && (
          <ul className="settings-problems" role="alert" data-testid="settings-problems">
            {problems.map((p) => (
              <li key={p.message}>{p.message}</li>
            ))}
          </ul>
        )}
        <div className="modal-buttons">
          <button type="button" className="tool" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="tool primary" disabled={problems.length > 0}>
            OK
          </button>
        </div>
      </form>
    </div>
  );
}
