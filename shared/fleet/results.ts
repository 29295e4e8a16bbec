// Runtime: pure (shared/). What a fan-out over the fleet answers: one outcome per host, never one
// error for all. Schemas for the app's contract (fleet-ui) and the CLI's `--json`.
// Invariant: every selected host appears exactly once in a FleetResult, in fleet order.

import { z } from 'zod';
import type { CounterSnapshotResult, RuleCounter } from '../ipc/helper-protocol.ts';

/**
 * Why a host failed. The helper's own codes (`invalid-document`, `nft-failed`, ...) pass through;
 * these are the transport's:
 * - `bad-host`: the fleet entry cannot be used (a name starting with `-`, not in the fleet)
 * - `unreachable`: ssh could not connect (name does not resolve, refused, timed out)
 * - `host-key`: the host's key is unknown or does not match known_hosts (nothing is sent)
 * - `auth`: ssh refused our keys (BatchMode: no passwords are asked)
 * - `no-treewall`: the remote command is not there (exit 127) or has no `helper-bridge`
 * - `no-helper`: treewall is there but its helper's socket does not answer (or is not ours to open)
 * - `protocol-mismatch`: the remote helper speaks another protocol version (nothing is sent)
 * - `timeout`: no answer in time (ssh's ServerAlive or our per-call timeout)
 * - `disconnected`: the ssh session ended under a call
 * - `skipped`: not tried (a rollout stopped after its canary failed)
 */
export const FLEET_ERROR_CODES = [
  'bad-host',
  'unreachable',
  'host-key',
  'auth',
  'no-treewall',
  'no-helper',
  'protocol-mismatch',
  'timeout',
  'disconnected',
  'skipped',
] as const;

export const hostErrorSchema = z.object({
  /** One of FLEET_ERROR_CODES or a helper error code (`invalid-document`, `nft-failed`, ...). */
  code: z.string(),
  message: z.string(),
});
export type HostError = z.infer<typeof hostErrorSchema>;

export type HostOutcome<T> =
  | { host: string; ok: true; value: T; ms: number }
  | { host: string; ok: false; error: HostError; ms: number };

export const hostOutcomeSchema = <T extends z.ZodType>(value: T) =>
  z.union([
    z.object({ host: z.string(), ok: z.literal(true), value, ms: z.number() }),
    z.object({ host: z.string(), ok: z.literal(false), error: hostErrorSchema, ms: z.number() }),
  ]);

/** All hosts answered without error. */
export const allOk = (outcomes: readonly HostOutcome<unknown>[]): boolean =>
  outcomes.every((o) => o.ok);

/**
 * Per rule id, the sum of the hosts' counters (rules are matched by id: one document applied to
 * many hosts adds up). Hosts without a snapshot (failed) are left out; `hosts` says how many
 * were summed.
 */
export function sumCounters(snapshots: readonly CounterSnapshotResult[]): {
  counters: Record<string, RuleCounter>;
  hosts: number;
} {
  const counters: Record<string, RuleCounter> = {};
  for (const snapshot of snapshots) {
    for (const [id, c] of Object.entries(snapshot.counters)) {
      const total = (counters[id] ??= { packets: 0, bytes: 0 });
      total.packets += c.packets;
      total.bytes += c.bytes;
    }
  }
  return { counters, hosts: snapshots.length };
}

/** A host's drift, as `status` reports it. */
export const hostDriftSchema = z.object({
  /** Fingerprint of the document the host's helper has applied (null: nothing applied). */
  appliedFingerprint: z.string().nullable(),
  /** The kernel's table is not what the helper applied: someone changed it by hand. */
  changedByHand: z.boolean(),
  /** The applied document differs from the one given (`status --document FILE`); null: none given. */
  differsFromDocument: z.boolean().nullable(),
  /** The applied document differs from what this fleet last applied there; null: no record. */
  differsFromLastApplied: z.boolean().nullable(),
});
export type HostDrift = z.infer<typeof hostDriftSchema>;
