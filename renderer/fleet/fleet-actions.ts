// Runtime: browser (renderer/). What the user does to the fleet: edit its hosts (saved to the fleet
// file through the backend), and apply the outline to several hosts as a staged rollout (the
// canary first with its confirm countdown, then the rest), keep or stop it.

import type { FleetHostEntry } from '../../shared/ipc/app-api.ts';
import { severityOf } from '../../shared/model/types.ts';
import { invoke } from '../backend.ts';
import { problemsNow } from '../store/all-problems.ts';
import { useAppStore } from '../store/app-store.ts';
import { useDocumentStore } from '../store/document-store.ts';
import { useFleetStore } from '../store/fleet-store.ts';
import { useRolloutPrefs } from './rollout-prefs.ts';

/** Host and group names, as the fleet file allows them (shared/fleet: letters, digits, `_ . -`,
 * not starting with `-` or `.`). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** What is wrong with a host entry before it is saved, or null. (The backend checks it again with
 * the fleet file's own parser; this is the same rule, said before the round trip.) */
export function hostEntryProblem(
  entry: FleetHostEntry,
  others: readonly FleetHostEntry[],
): string | null {
  if (!entry.name) return 'A host needs a name.';
  if (!NAME.test(entry.name))
    return `"${entry.name}": a name is letters, digits, _ . - (not first), at most 64.`;
  if (others.some((h) => h.name === entry.name))
    return `There is already a host named ${entry.name}.`;
  const address = entry.address ?? '';
  // ssh would read an address starting with "-" as an option.
  if (address.startsWith('-')) return 'An ssh address cannot start with "-".';
  if (/\s/.test(address)) return 'An ssh address has no spaces.';
  for (const g of entry.groups)
    if (!NAME.test(g)) return `"${g}": a group name is letters, digits, _ . - (not first).`;
  return null;
}

/** "web, db" -> ["web", "db"] (trimmed, no empties, no duplicates). */
export const parseGroups = (text: string): string[] => [
  ...new Set(
    text
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  ),
];

/** Save the fleet's hosts; the error (if any) shows in the fleet view. */
export async function saveHosts(hosts: FleetHostEntry[]): Promise<boolean> {
  const r = await invoke('fleet:save', { hosts });
  if (!r.ok) {
    useFleetStore.setState({ listError: `Could not save the fleet: ${r.error.message}` });
    return false;
  }
  useFleetStore.setState({ list: r.value, listError: null });
  return true;
}

/** Apply the outline to `hosts`, `canary` first, each host with `confirmSeconds` to be confirmed
 * (default: the user's choice in the fleet view). Refuses a document with problems, as Apply does. */
export async function startRollout(
  hosts: string[],
  canary?: string,
  confirmSeconds = useRolloutPrefs.getState().confirmSeconds,
): Promise<void> {
  const { document } = useDocumentStore.getState();
  const problems = problemsNow(document).filter((p) => severityOf(p) === 'error');
  if (problems.length) {
    useAppStore.setState({ blockingProblems: problems, problemsSource: 'apply' });
    return;
  }
  if (!hosts.length) {
    useFleetStore.setState({ rolloutError: 'No hosts to apply to.' });
    return;
  }
  useFleetStore.setState({ rolloutError: null });
  const r = await invoke('fleet:rollout', {
    hosts,
    canary: canary ?? hosts[0]!,
    document,
    confirmTimeoutSeconds: confirmSeconds,
  });
  if (!r.ok) {
    if (r.error.problems?.length)
      useAppStore.setState({ blockingProblems: r.error.problems, problemsSource: 'apply' });
    useFleetStore.setState({
      rolloutError: `Apply to ${hosts.length} hosts failed: ${r.error.message}`,
    });
    return;
  }
  // Events may already have moved it on; keep the newest.
  const current = useFleetStore.getState().rollout;
  if (current?.id !== r.value.id) useFleetStore.setState({ rollout: r.value });
}

export async function keepCanary(): Promise<void> {
  const rollout = useFleetStore.getState().rollout;
  if (!rollout) return;
  const r = await invoke('fleet:rolloutConfirm', { id: rollout.id });
  if (!r.ok) useFleetStore.setState({ rolloutError: `Keep failed: ${r.error.message}` });
}

export async function stopRollout(): Promise<void> {
  const rollout = useFleetStore.getState().rollout;
  if (!rollout) return;
  const r = await invoke('fleet:rolloutStop', { id: rollout.id });
  if (!r.ok) useFleetStore.setState({ rolloutError: `Stop failed: ${r.error.message}` });
}

export const dismissRollout = (): void =>
  useFleetStore.setState({ rollout: null, rolloutError: null });
