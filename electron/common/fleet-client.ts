// Runtime: plain Node. The multi-host client: one fleet file, each host reached through the
// system's ssh (fleet-ssh.ts) and its remote `treewall helper-bridge`; typed fan-out of helper
// calls with one outcome per host; drift; the staged rollout (canary first, then the rest in
// parallel, each with its own confirm deadline). Used by the CLI (`--host` / `--group`) and, for
// fleet-ui, by the app's backend. See docs/fleet.md.
// Invariant: nothing throws across hosts: every selected host gets exactly one HostOutcome, in
// fleet order; every step is bounded (ssh's timeouts, per-call timeouts), so nothing hangs; a
// host whose helper speaks another protocol version gets no call besides `status`.

import { createHash } from 'node:crypto';
import { canaryOf, selectHosts, type FleetFile, type FleetHost } from '../../shared/fleet/fleet.ts';
import {
  allOk,
  sumCounters,
  type HostDrift,
  type HostError,
  type HostOutcome,
} from '../../shared/fleet/results.ts';
import {
  PROTOCOL_VERSION,
  type CounterSnapshotResult,
  type CounterTickEvent,
  type HelperCall,
  type HelperParams,
  type HelperResult,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { EncodedParams, HelperCallError, HelperClient } from './helper-client.ts';
import {
  classifySshFailure,
  openSshSession,
  type SshOptions,
  type SshSession,
} from './fleet-ssh.ts';

export { sumCounters, allOk };
export type { HostOutcome, HostError, HostDrift };

export interface FleetClientOptions extends SshOptions {
  /** Timeout of small calls (status, confirm, revert, counters...). Default 30 s. */
  callTimeoutMs?: number;
  /** Timeout of an apply (10,000 rules take seconds, 100,000 minutes). Default 10 min. */
  applyTimeoutMs?: number;
  /** Hosts worked on at once. Default 32. */
  concurrency?: number;
}

/** One open session to one host's helper, its protocol version checked. */
export interface HostConnection {
  host: FleetHost;
  client: HelperClient;
  /** The status read when connecting (the protocol check). */
  status: HelperStatusResult;
  close(): Promise<void>;
}

/** A failure tied to one host (code: FLEET_ERROR_CODES or a helper error code). */
export class FleetHostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FleetHostError';
  }
}

/**
 * A fingerprint of a document's rules and settings (sha256, hex): equal fingerprints, same
 * firewall. What only the view keeps (a rule's `expanded`, the statistic shown) and unknown keys
 * of the original (`extra`) are left out. Compare `documentFingerprint(showActive.document)` of a
 * host with that of a file to see drift.
 */
export function documentFingerprint(document: FirewallDocument): string {
  const rule = (r: Rule): unknown => [
    r.id,
    r.enabled,
    r.name,
    r.property,
    r.relation,
    r.value,
    r.action,
    r.parameter,
    r.children.map(rule),
  ];
  const s = document.settings;
  const settings = [
    s.firewallOn,
    s.defaultTriggerDuration,
    s.defaultPolicy,
    s.externalInterfaces,
    s.internalInterfaces,
  ];
  return createHash('sha256')
    .update(JSON.stringify([settings, document.rules.map(rule)]))
    .digest('hex');
}

export interface FleetHostStatus {
  status: HelperStatusResult;
  drift: HostDrift;
}

export type RolloutPhase =
  'applying' | 'applied' | 'probing' | 'confirmed' | 'reverted' | 'failed' | 'skipped';

export interface RolloutEvent {
  host: string;
  phase: RolloutPhase;
  canary: boolean;
  /** When the host restores its previous rules unless confirmed (after `applied`). */
  deadline?: string;
  error?: HostError;
}

export interface RolloutOptions {
  /** The canary's name (default: the fleet's canary of `group`, else the first host). */
  canary?: string;
  /** The group the hosts were selected by (for the fleet's configured canary). */
  group?: string;
  /** Each host's confirm timeout (1-3600 s): a host we lose rolls back on its own. */
  confirmTimeoutSeconds: number;
  /**
   * Whether to keep the canary, asked after its health probe (a new ssh session that reaches the
   * helper, which still holds the new rules). Default: the probe's answer. The user's "Confirm"
   * button goes here; return false to revert the canary and stop.
   */
  confirmCanary?: (probe: {
    host: string;
    ok: boolean;
    error?: HostError;
    deadline: string;
  }) => Promise<boolean>;
  /**
   * Progress, per host (the fleet view's live column). A returned promise is waited for before
   * that host's rollout goes on (tests cut a host's link on `applied`); a throw is ignored.
   */
  onProgress?: (event: RolloutEvent) => void | Promise<void>;
  /**
   * A session to `host` that is already open (the app's persistent one per host), used for the
   * apply and any revert instead of a new ssh session, and left open. Null, a closed session or
   * a throw: a new session as without it. The health probe is always a new session.
   */
  session?: (host: FleetHost) => Promise<HostConnection | null>;
}

export interface RolloutHostResult {
  status: HelperStatusResult;
  /** documentFingerprint of what was applied and confirmed. */
  fingerprint: string;
  canary: boolean;
}

export interface RolloutResult {
  ok: boolean;
  canary: string | null;
  hosts: HostOutcome<RolloutHostResult>[];
}

export interface CounterWatch {
  /** Per host: connected and subscribed, or why not (resolves once every host has tried). */
  ready: Promise<HostOutcome<{ intervalMs: number }>[]>;
  /** The latest totals per host (from the first snapshot plus every tick). */
  latest(): Map<string, CounterSnapshotResult>;
  /** The sum over the hosts that answer, per rule id. */
  sum(): ReturnType<typeof sumCounters>;
  stop(): Promise<void>;
}

export class FleetClient {
  readonly fleet: FleetFile;
  private readonly options: FleetClientOptions;

  constructor(fleet: FleetFile, options: FleetClientOptions = {}) {
    this.fleet = fleet;
    this.options = options;
  }

  /** Hosts by `--host`/`--group` (throws FleetSelectionError for unknown names). */
  select(selection: { hosts?: readonly string[]; groups?: readonly string[] }): FleetHost[] {
    return selectHosts(this.fleet, selection);
  }

  /**
   * Open an ssh session to `host`'s helper and check its protocol version. `fresh`: a new TCP
   * connection even if the user's ssh config multiplexes (the health probe). Throws
   * FleetHostError (`unreachable`, `host-key`, `auth`, `no-treewall`, `no-helper`,
   * `protocol-mismatch`, `timeout`).
   */
  async connect(host: FleetHost, fresh = false): Promise<HostConnection> {
    let session: SshSession;
    try {
      session = openSshSession(host, this.options, fresh);
    } catch (error) {
      throw new FleetHostError('bad-host', (error as Error).message);
    }
    const client = HelperClient.overStream(session.stream, `ssh ${host.name}`);
    // Bounded even when the host is gone: ssh gets EOF, and SIGKILL 2 s later if still there
    // (a dead link would otherwise hold it until ServerAlive gives up).
    const close = async () => {
      const closing = client.close().catch(() => {});
      await session.close(2000);
      await closing;
    };
    // Bounded: ssh's ConnectTimeout, plus the remote node starting the bridge.
    const connectMs = (this.options.connectTimeoutSeconds ?? 10) * 1000 + 20_000;
    let raw: unknown;
    try {
      raw = await Promise.race([
        client.call('status', {}, { timeoutMs: connectMs, validate: false }),
        // ssh ending first (refused, key, no treewall): its exit code and stderr tell why.
        session.exited.then((code) => {
          throw Object.assign(new Error('ssh ended'), { exitCode: code });
        }),
      ]);
    } catch (error) {
      await close();
      const code = await Promise.race([
        session.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 1000)),
      ]);
      if (error instanceof HelperCallError && error.code === 'timeout') {
        throw new FleetHostError('timeout', `${host.name}: no answer in ${connectMs / 1000} s`);
      }
      const spawnError = session.spawnError();
      if (spawnError) throw new FleetHostError('unreachable', `${host.name}: ${spawnError}`);
      const failure = classifySshFailure(host, code, session.stderr());
      throw new FleetHostError(failure.code, failure.message);
    }
    const protocol = (raw as { protocol?: unknown })?.protocol;
    if (protocol !== PROTOCOL_VERSION) {
      await close();
      throw new FleetHostError(
        'protocol-mismatch',
        `${host.name}: its helper speaks protocol ${typeof protocol === 'number' ? protocol : 'unknown'} and this treewall ${PROTOCOL_VERSION}: ` +
          (typeof protocol === 'number' && protocol < PROTOCOL_VERSION
            ? `update treewall on ${host.name}`
            : `update this treewall to ${host.name}'s release`) +
          '; nothing was sent',
      );
    }
    let status: HelperStatusResult;
    try {
      status = await client.call('status', {}, { timeoutMs: this.callTimeout() });
    } catch (error) {
      await close();
      throw toHostError(host, error);
    }
    return { host, client, status, close };
  }

  /**
   * Run `fn` on each host with its own session (in parallel, `concurrency` at a time); one
   * outcome per host, in the order given. The session is closed after `fn`.
   */
  async each<T>(
    hosts: readonly FleetHost[],
    fn: (connection: HostConnection) => Promise<T>,
  ): Promise<HostOutcome<T>[]> {
    return mapLimited(hosts, this.options.concurrency ?? 32, async (host) => {
      const started = Date.now();
      let connection: HostConnection | undefined;
      try {
        connection = await this.connect(host);
        const value = await fn(connection);
        return { host: host.name, ok: true as const, value, ms: Date.now() - started };
      } catch (error) {
        return {
          host: host.name,
          ok: false as const,
          error: hostError(toHostError(host, error)),
          ms: Date.now() - started,
        };
      } finally {
        await connection?.close();
      }
    });
  }

  /** One helper call on every host. */
  call<C extends HelperCall>(
    hosts: readonly FleetHost[],
    call: C,
    params: HelperParams<C>,
    options: { timeoutMs?: number } = {},
  ): Promise<HostOutcome<HelperResult<C>>[]> {
    const timeoutMs =
      options.timeoutMs ?? (call === 'apply' ? this.applyTimeout() : this.callTimeout());
    // Encoded once for every host (an apply's document is megabytes of JSON).
    const encoded = EncodedParams.of(call, params);
    return this.each(hosts, (c) => c.client.call(call, encoded, { timeoutMs }));
  }

  /**
   * Status with drift: `document` (a file the user names) and `lastApplied` (fingerprints this
   * fleet last applied, by host name) are compared with each host's applied document.
   */
  status(
    hosts: readonly FleetHost[],
    compare: { document?: FirewallDocument; lastApplied?: Record<string, string> } = {},
  ): Promise<HostOutcome<FleetHostStatus>[]> {
    const wanted = compare.document ? documentFingerprint(compare.document) : undefined;
    return this.each(hosts, async (c) => {
      const status = c.status;
      let appliedFingerprint: string | null = null;
      if (status.appliedAt !== null) {
        const active = await c.client.call(
          'showActive',
          { withText: false },
          { timeoutMs: this.callTimeout() },
        );
        appliedFingerprint = active.document ? documentFingerprint(active.document) : null;
      }
      const last = compare.lastApplied?.[c.host.name];
      return {
        status,
        drift: {
          appliedFingerprint,
          changedByHand: status.active && !status.matchesApplied,
          differsFromDocument: wanted === undefined ? null : appliedFingerprint !== wanted,
          differsFromLastApplied: last === undefined ? null : appliedFingerprint !== last,
        },
      };
    });
  }

  /** Counters of every host, and their sum per rule id. */
  async counters(
    hosts: readonly FleetHost[],
  ): Promise<{ hosts: HostOutcome<CounterSnapshotResult>[]; sum: ReturnType<typeof sumCounters> }> {
    const outcomes = await this.call(hosts, 'counters', {});
    return {
      hosts: outcomes,
      sum: sumCounters(outcomes.flatMap((o) => (o.ok ? [o.value] : []))),
    };
  }

  /**
   * Keep a session to each host and stream its counters (`countersSubscribe`); `onTick` gets
   * each host's ticks, `onHostError` a host that fails or drops (it is not retried).
   */
  watchCounters(
    hosts: readonly FleetHost[],
    intervalMs: number,
    onTick: (host: string, tick: CounterTickEvent) => void,
    onHostError: (host: string, error: HostError) => void = () => {},
  ): CounterWatch {
    const connections: HostConnection[] = [];
    const latest = new Map<string, CounterSnapshotResult>();
    let stopped = false;
    const ready = mapLimited(hosts, this.options.concurrency ?? 32, async (host) => {
      const started = Date.now();
      try {
        const c = await this.connect(host);
        if (stopped) {
          await c.close();
          throw new FleetHostError('disconnected', 'stopped');
        }
        connections.push(c);
        c.client.on('counters:tick', (tick) => {
          const totals = { ...(latest.get(host.name)?.counters ?? {}) };
          for (const [id, v] of Object.entries(tick.changed)) {
            totals[id] = { packets: v.packets, bytes: v.bytes };
          }
          latest.set(host.name, { at: tick.at, counters: totals });
          onTick(host.name, tick);
        });
        c.client.onClose((error) => {
          latest.delete(host.name);
          if (error && !stopped) onHostError(host.name, hostError(toHostError(host, error)));
        });
        latest.set(
          host.name,
          await c.client.call('counters', {}, { timeoutMs: this.callTimeout() }),
        );
        const sub = await c.client.call(
          'countersSubscribe',
          { intervalMs },
          { timeoutMs: this.callTimeout() },
        );
        return { host: host.name, ok: true as const, value: sub, ms: Date.now() - started };
      } catch (error) {
        const e = hostError(toHostError(host, error));
        if (!stopped) onHostError(host.name, e);
        return { host: host.name, ok: false as const, error: e, ms: Date.now() - started };
      }
    });
    return {
      ready,
      latest: () => latest,
      sum: () => sumCounters([...latest.values()]),
      stop: async () => {
        stopped = true;
        await Promise.all(connections.map((c) => c.close()));
      },
    };
  }

  /**
   * The staged rollout: apply `document` to the canary with the confirm timeout; health-probe it
   * (a new ssh session reaches the helper, which holds the new rules) and ask `confirmCanary`;
   * confirm it; then the rest in parallel, each applied with its own confirm timeout, probed and
   * confirmed the same way. A host whose probe fails is reverted over the first session if that
   * still answers, else its helper rolls back at its deadline on its own. A failed canary stops
   * the rollout: the others are `skipped`, nothing is sent to them.
   */
  async rollout(
    hosts: readonly FleetHost[],
    document: FirewallDocument,
    options: RolloutOptions,
  ): Promise<RolloutResult> {
    if (hosts.length === 0) return { ok: true, canary: null, hosts: [] };
    const canary =
      (options.canary !== undefined
        ? hosts.find((h) => h.name === options.canary)
        : canaryOf(this.fleet, hosts, options.group)) ?? hosts[0]!;
    const fingerprint = documentFingerprint(document);
    // The document is encoded once for all hosts, not once per host.
    const apply = EncodedParams.of('apply', {
      document,
      confirmTimeoutSeconds: options.confirmTimeoutSeconds,
    });
    const emit = (event: RolloutEvent) => void progress(options, event);
    const first = await this.rolloutHost(canary, apply, fingerprint, options, true);
    const results = new Map<string, HostOutcome<RolloutHostResult>>([[canary.name, first]]);
    const rest = hosts.filter((h) => h !== canary);
    if (!first.ok) {
      for (const h of rest) {
        const error = {
          code: 'skipped',
          message: `not applied: the canary ${canary.name} failed (${first.error.code})`,
        };
        emit({ host: h.name, phase: 'skipped', canary: false, error });
        results.set(h.name, { host: h.name, ok: false, error, ms: 0 });
      }
    } else {
      const outcomes = await mapLimited(rest, this.options.concurrency ?? 32, (h) =>
        this.rolloutHost(h, apply, fingerprint, options, false),
      );
      for (const o of outcomes) results.set(o.host, o);
    }
    const ordered = hosts.map((h) => results.get(h.name)!);
    return { ok: allOk(ordered), canary: canary.name, hosts: ordered };
  }

  /* ---- internals ---- */

  private callTimeout(): number {
    return this.options.callTimeoutMs ?? 30_000;
  }

  private applyTimeout(): number {
    return this.options.applyTimeoutMs ?? 600_000;
  }

  private async rolloutHost(
    host: FleetHost,
    apply: EncodedParams<'apply'>,
    fingerprint: string,
    options: RolloutOptions,
    isCanary: boolean,
  ): Promise<HostOutcome<RolloutHostResult>> {
    const started = Date.now();
    const emit = (event: Omit<RolloutEvent, 'host' | 'canary'>) =>
      progress(options, { host: host.name, canary: isCanary, ...event });
    const fail = async (error: HostError): Promise<HostOutcome<RolloutHostResult>> => {
      await emit({ phase: 'failed', error });
      return { host: host.name, ok: false, error, ms: Date.now() - started };
    };
    let first: HostConnection | undefined;
    let ownFirst = false;
    let probe: HostConnection | undefined;
    try {
      await emit({ phase: 'applying' });
      let given: HostConnection | null | undefined;
      try {
        given = await options.session?.(host);
      } catch {
        given = null;
      }
      if (given && !given.client.closed) {
        first = given;
      } else {
        try {
          first = await this.connect(host);
          ownFirst = true;
        } catch (error) {
          return fail(hostError(toHostError(host, error)));
        }
      }
      let applied: HelperStatusResult;
      try {
        applied = await first.client.call('apply', apply, { timeoutMs: this.applyTimeout() });
      } catch (error) {
        return fail(hostError(toHostError(host, error)));
      }
      const deadline = applied.pendingConfirm?.deadline ?? '';
      await emit({ phase: 'applied', deadline });
      // The health probe: a new ssh session through the new rules, to a helper that holds them.
      await emit({ phase: 'probing', deadline });
      let probeError: HostError | undefined;
      try {
        probe = await this.connect(host, true);
        const s = probe.status;
        if (!s.active || !s.matchesApplied || s.appliedAt !== applied.appliedAt) {
          probeError = {
            code: 'nft-failed',
            message: `${host.name}: after the apply the helper no longer holds the new rules`,
          };
        }
      } catch (error) {
        probeError = hostError(toHostError(host, error));
      }
      let keep = probeError === undefined;
      if (isCanary && options.confirmCanary) {
        keep = await options.confirmCanary({
          host: host.name,
          ok: probeError === undefined,
          error: probeError,
          deadline,
        });
      }
      if (!keep) {
        const why: HostError = probeError
          ? {
              code: probeError.code,
              message: `health probe failed after the apply: ${probeError.message}`,
            }
          : { code: 'not-confirmed', message: `${host.name}: the canary was not confirmed` };
        // Revert now over whichever session still answers; else the helper's deadline does it.
        const via = probe ?? first;
        const small = { timeoutMs: Math.min(this.callTimeout(), 10_000) };
        try {
          // Only this apply, only while it awaits its confirm: a helper whose deadline already
          // passed has restored the previous rules itself, and a plain `revert` then would
          // re-apply what it replaced — these new rules, with no deadline.
          const { reverted, status: now } = await via.client.call(
            'revertPending',
            { appliedAt: applied.appliedAt ?? '' },
            small,
          );
          if (!reverted && now.active && now.appliedAt === applied.appliedAt) {
            // Not pending any more, yet still in force: someone confirmed it meanwhile.
            return fail({
              code: why.code,
              message: `${why.message}; it was confirmed meanwhile (by another client) and stays`,
            });
          }
          await emit({ phase: 'reverted' });
          return fail({
            code: why.code,
            message: reverted
              ? `${why.message}; reverted to the previous rules`
              : `${why.message}; its helper had already restored the previous rules` +
                (now.lastError ? ` (${now.lastError})` : ''),
          });
        } catch (error) {
          // An older helper without `revertPending` is left to its deadline: never a plain
          // `revert`, which could re-apply these rules after it.
          const older = error instanceof HelperCallError && error.code === 'unknown-call';
          return fail({
            code: why.code,
            message: `${why.message}; ${older ? 'its helper cannot revert conditionally (older treewall)' : 'lost contact'}: its helper restores the previous rules at ${deadline}`,
          });
        }
      }
      let status: HelperStatusResult;
      try {
        status = await probe!.client.call('confirm', {}, { timeoutMs: this.callTimeout() });
      } catch (error) {
        const e = hostError(toHostError(host, error));
        return fail({
          code: e.code,
          message: `confirm failed (${e.message}); its helper restores the previous rules at ${deadline}`,
        });
      }
      // Confirm is idempotent: one that arrives after the host's deadline (a slow probe, a busy
      // host) finds nothing pending, the previous rules already restored, and still answers.
      // So what the helper holds after it decides.
      if (!status.active || status.appliedAt !== applied.appliedAt) {
        await emit({ phase: 'reverted' });
        return fail({
          code: 'timeout',
          message:
            `${host.name}: the confirm came after its deadline (${deadline}): its helper had ` +
            `already restored the previous rules${status.lastError ? ` (${status.lastError})` : ''}`,
        });
      }
      await emit({ phase: 'confirmed' });
      return {
        host: host.name,
        ok: true,
        value: { status, fingerprint, canary: isCanary },
        ms: Date.now() - started,
      };
    } finally {
      await Promise.all([ownFirst ? first?.close() : undefined, probe?.close()]);
    }
  }
}

async function progress(options: RolloutOptions, event: RolloutEvent): Promise<void> {
  try {
    await options.onProgress?.(event);
  } catch {
    // the caller's business
  }
}

function toHostError(host: FleetHost, error: unknown): FleetHostError {
  if (error instanceof FleetHostError) return error;
  if (error instanceof HelperCallError) {
    const problems = (error.problems ?? [])
      .slice(0, 5)
      .map((p) => `rule ${p.number}: ${p.message}`)
      .join('; ');
    return new FleetHostError(
      error.code,
      `${host.name}: ${error.message}${problems ? ` (${problems})` : ''}`,
    );
  }
  return new FleetHostError(
    'internal',
    `${host.name}: ${(error as Error)?.message ?? String(error)}`,
  );
}

const hostError = (error: FleetHostError): HostError => ({
  code: error.code,
  message: error.message,
});

/** `fn` over `items`, at most `limit` at once; results in the items' order. */
async function mapLimited<I, O>(
  items: readonly I[],
  limit: number,
  fn: (item: I) => Promise<O>,
): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
