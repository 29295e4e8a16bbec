// Runtime: plain Node. The backend's live connection to a fleet (issue 17): the FleetPort over the
// fleet file and `FleetClient` (ssh to each host's `treewall helper-bridge`). One persistent
// session per host, opened in the background and reopened when it drops (with a growing pause),
// subscribed to counters and the log; its events become host-tagged app events (`fleet:state`,
// `fleet:counters`, `fleet:log`). Staged rollouts run through `FleetClient.rollout`, the canary
// kept by the user's Keep (`confirmRollout`) or stopped (`stopRollout`), progress as
// `fleet:rollout` events.
// Invariants: `status()` never rejects (an unreachable host is a state with its error); a host's
// failure never touches another's link; saving the fleet file is atomic and validated by
// shared/fleet's own parser; after close() no session, timer or rollout wait is left.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  ApiCallError,
  type EventName,
  type EventPayload,
  type FleetHostEntry,
  type FleetHostState,
  type FleetList,
  type Rollout,
} from '../../shared/ipc/app-api.ts';
import {
  emptyFleet,
  formatFleet,
  parseFleet,
  validateFleet,
  type FleetFile,
  type FleetHost,
} from '../../shared/fleet/fleet.ts';
import type {
  CounterTickEvent,
  HelperStatusResult,
  LogEventData,
} from '../../shared/ipc/helper-protocol.ts';
import { writeFileAtomic } from './document-files.ts';
import {
  documentFingerprint,
  FleetClient,
  FleetHostError,
  type FleetClientOptions,
  type HostConnection,
  type RolloutEvent,
} from './fleet-client.ts';
import { HelperCallError } from './helper-client.ts';
import { connectedStatus } from './helper-port.ts';
import type { FleetListener, FleetPort, RolloutRequest } from './fleet-port.ts';

export interface FleetLinkOptions {
  /** The fleet file (`fleet.json`); created by the first save when missing. */
  file: string;
  /** ssh options for every host (`sshConfig`: `ssh -F`). */
  client?: FleetClientOptions;
  /** First pause before reconnecting a host that failed; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  countersIntervalMs?: number;
  /** How often a connected host's status is asked again (a table changed by hand sends no
   * event). Default 5000 ms. */
  statusPollMs?: number;
}

interface HostLink {
  host: FleetHost;
  /** The entry as JSON: a changed entry (address, socket...) means a new session. */
  key: string;
  conn: HostConnection | null;
  connecting: Promise<HostConnection | null> | null;
  retry: NodeJS.Timeout | undefined;
  failures: number;
  state: FleetHostState;
  closed: boolean;
  /** The applied document's fingerprint, for the apply it was read for (appliedAt|hash). */
  fingerprint: { key: string; value: string | null } | null;
}

interface RolloutRun {
  rollout: Rollout;
  /** Resolves the canary's question (keep: true). */
  decide: ((keep: boolean) => void) | null;
  stopped: boolean;
}

const label = (name: string) => `ssh:${name}`;

export function connectFleet(options: FleetLinkOptions): FleetPort {
  const listeners = new Set<FleetListener>();
  const links = new Map<string, HostLink>();
  const rollouts = new Map<string, RolloutRun>();
  let fleet: FleetFile = emptyFleet();
  let fileProblem: string | null = null;
  let closed = false;
  let rolloutSeq = 0;
  const retryMs = options.retryMs ?? 3000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;

  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const l of listeners) (l as (e: EventName, p: unknown) => void)(event, payload);
  };
  const client = () => new FleetClient(fleet, options.client ?? {});
  const list = (): FleetList => ({
    path: options.file,
    hosts: fleet.hosts.map((h) => ({ ...h })),
  });

  function setState(link: HostLink, state: Omit<FleetHostState, 'name' | 'checkedAt'>): void {
    link.state = {
      ...state,
      name: link.host.name,
      checkedAt: new Date().toISOString(),
    };
    if (!closed && !link.closed) emit('fleet:state', { host: link.host.name, state: link.state });
  }

  const reachableState = (link: HostLink, status: HelperStatusResult) => {
    const app = connectedStatus(label(link.host.name), status);
    // The fingerprint of what is applied, as the CLI shows it: read back once per apply.
    const key = status.appliedAt === null ? null : `${status.appliedAt}|${status.documentHash}`;
    const known = link.fingerprint?.key === key ? link.fingerprint.value : null;
    setState(link, { reachable: true, error: app.message, status: app, fingerprint: known });
    if (key === null || link.fingerprint?.key === key) return;
    link.fingerprint = { key, value: null };
    const conn = link.conn;
    void conn?.client.call('showActive', { withText: false }, { timeoutMs: 60_000 }).then(
      (active) => {
        if (link.fingerprint?.key !== key || link.conn !== conn) return;
        link.fingerprint = {
          key,
          value: active.document ? documentFingerprint(active.document) : null,
        };
        if (link.state.reachable)
          setState(link, { ...link.state, fingerprint: link.fingerprint.value });
      },
      () => {
        if (link.fingerprint?.key === key) link.fingerprint = null;
      },
    );
  };

  function scheduleRetry(link: HostLink): void {
    if (closed || link.closed || link.retry) return;
    const wait = Math.min(maxRetryMs, retryMs * 2 ** Math.min(link.failures, 8));
    link.retry = setTimeout(() => {
      link.retry = undefined;
      void ensure(link);
    }, wait);
    link.retry.unref?.();
  }

  /** The host's session, opening it if needed; null when it cannot be reached (state says why). */
  function ensure(link: HostLink): Promise<HostConnection | null> {
    if (link.conn && !link.conn.client.closed) return Promise.resolve(link.conn);
    if (closed || link.closed) return Promise.resolve(null);
    link.connecting ??= (async () => {
      try {
        const conn = await client().connect(link.host);
        if (closed || link.closed) {
          await conn.close();
          return null;
        }
        link.conn = conn;
        link.failures = 0;
        attach(link, conn);
        return conn;
      } catch (error) {
        link.failures++;
        setState(link, { reachable: false, error: messageOf(error), status: null });
        scheduleRetry(link);
        return null;
      } finally {
        link.connecting = null;
      }
    })();
    return link.connecting;
  }

  function attach(link: HostLink, conn: HostConnection): void {
    const name = link.host.name;
    reachableState(link, conn.status);
    conn.client.onAny((event, data) => {
      if (link.conn !== conn) return;
      if (event === 'helper:state') reachableState(link, data as HelperStatusResult);
      else if (event === 'counters:tick')
        emit('fleet:counters', { host: name, tick: data as CounterTickEvent });
      else if (event === 'log:event')
        emit('fleet:log', { host: name, event: data as LogEventData });
    });
    conn.client.onClose(() => {
      if (link.conn !== conn) return;
      link.conn = null;
      if (closed || link.closed) return;
      link.failures++;
      setState(link, {
        reachable: false,
        error: `Lost contact with ${name}; reconnecting…`,
        status: null,
      });
      scheduleRetry(link);
    });
    void (async () => {
      try {
        await conn.client.call('countersSubscribe', {
          intervalMs: options.countersIntervalMs ?? 1000,
        });
      } catch {
        // A helper that cannot stream counters still applies; its status says what is wrong.
      }
      try {
        await conn.client.call('logSubscribe', {});
      } catch {
        // No log reader there: that host's log stays empty.
      }
    })();
  }

  async function closeLink(link: HostLink): Promise<void> {
    link.closed = true;
    clearTimeout(link.retry);
    const conn = link.conn;
    link.conn = null;
    await conn?.close().catch(() => {});
  }

  /** Links follow the fleet's hosts: new ones connect, removed or changed ones close. */
  async function reconcile(): Promise<void> {
    const wanted = new Map(fleet.hosts.map((h) => [h.name, h]));
    const closing: Promise<void>[] = [];
    for (const [name, link] of links) {
      const host = wanted.get(name);
      if (!host || JSON.stringify(host) !== link.key) {
        links.delete(name);
        closing.push(closeLink(link));
      }
    }
    for (const host of fleet.hosts) {
      if (links.has(host.name)) continue;
      const link: HostLink = {
        host,
        key: JSON.stringify(host),
        conn: null,
        connecting: null,
        retry: undefined,
        failures: 0,
        state: {
          name: host.name,
          reachable: false,
          error: null,
          status: null,
          checkedAt: new Date().toISOString(),
        },
        closed: false,
        fingerprint: null,
      };
      links.set(host.name, link);
      void ensure(link);
    }
    await Promise.all(closing);
  }

  /** The file's identity when last read: edited elsewhere (the CLI, an editor), it is read again. */
  let signature: string | null = null;
  const fileSignature = async () => {
    try {
      const st = await fs.stat(options.file, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch {
      return 'missing';
    }
  };

  async function load(): Promise<void> {
    let text: string;
    signature = await fileSignature();
    try {
      text = await fs.readFile(options.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        fleet = emptyFleet();
        fileProblem = null;
        return;
      }
      fileProblem = `${options.file}: ${(error as Error).message}`;
      return;
    }
    const parsed = parseFleet(text);
    if ('problems' in parsed) {
      fileProblem = `${path.basename(options.file)} is not a valid fleet file: ${parsed.problems
        .map((p) => `${p.path || '(file)'}: ${p.message}`)
        .join('; ')}`;
      return;
    }
    fleet = parsed.fleet;
    fileProblem = null;
  }

  let loaded = load().then(reconcile);

  /** Read the file again when it changed since the last read (and say so to every window). */
  let checking: Promise<void> | null = null;
  function current(): Promise<void> {
    checking ??= (async () => {
      await loaded;
      if ((await fileSignature()) === signature) return;
      loaded = load().then(reconcile);
      await loaded;
      if (!fileProblem) emit('fleet:changed', list());
    })().finally(() => {
      checking = null;
    });
    return checking;
  }

  // Ask each connected host its status now and then: a table changed by hand (drift), a rule
  // count, a lastError arrive without an event. One call per host, never two at once.
  const polling = new Set<string>();
  const poll = setInterval(() => {
    for (const link of links.values()) {
      const conn = link.conn;
      if (!conn || conn.client.closed || polling.has(link.host.name)) continue;
      polling.add(link.host.name);
      void conn.client
        .call('status', {}, { timeoutMs: 10_000 })
        .then(
          (status) => {
            if (link.conn !== conn) return;
            const before = link.state.status?.helper;
            const same =
              before &&
              before.active === status.active &&
              before.matchesApplied === status.matchesApplied &&
              before.appliedAt === status.appliedAt &&
              before.documentHash === status.documentHash &&
              before.lastError === status.lastError &&
              JSON.stringify(before.pendingConfirm) === JSON.stringify(status.pendingConfirm);
            if (!same) reachableState(link, status);
          },
          () => {},
        )
        .finally(() => polling.delete(link.host.name));
    }
  }, options.statusPollMs ?? 5000);
  poll.unref?.();

  function linkOf(name: string): HostLink {
    const link = links.get(name);
    if (!link)
      throw new ApiCallError({ code: 'bad-request', message: `${name}: not a host of the fleet` });
    return link;
  }

  function publish(run: RolloutRun): void {
    emit('fleet:rollout', run.rollout);
  }

  function setHost(
    run: RolloutRun,
    name: string,
    state: Rollout['hosts'][number]['state'],
    message: string | null,
  ) {
    run.rollout = {
      ...run.rollout,
      hosts: run.rollout.hosts.map((h) => (h.name === name ? { name, state, message } : h)),
    };
  }

  return {
    async list() {
      await current();
      if (fileProblem) throw new ApiCallError({ code: 'parse-error', message: fileProblem });
      return list();
    },

    async save(hosts: FleetHostEntry[]) {
      await current();
      const names = new Set(hosts.map((h) => h.name));
      const canaries = Object.fromEntries(
        Object.entries(fleet.canaries ?? {}).filter(([, host]) => names.has(host)),
      );
      const checked = validateFleet({ ...fleet, hosts, canaries });
      if ('problems' in checked) {
        const first = checked.problems[0]!;
        const where = first.path.replace(/^hosts\.(\d+)/, (_, i: string) => {
          const h = hosts[Number(i)];
          return h ? `host ${h.name}` : `hosts.${i}`;
        });
        throw new ApiCallError({
          code: 'bad-request',
          message: `${where ? `${where}: ` : ''}${first.message}`,
          ...(first.path ? { field: first.path } : {}),
        });
      }
      await fs.mkdir(path.dirname(options.file), { recursive: true });
      await writeFileAtomic(options.file, formatFleet(checked.fleet), { mode: 0o600 });
      signature = await fileSignature();
      fleet = checked.fleet;
      fileProblem = null;
      await reconcile();
      const result = list();
      emit('fleet:changed', result);
      return result;
    },

    async status() {
      await current();
      return fleet.hosts.flatMap((h) => {
        const link = links.get(h.name);
        return link ? [link.state] : [];
      });
    },

    async call(name, call, params) {
      await loaded;
      const link = linkOf(name);
      const conn = await ensure(link);
      if (!conn) {
        throw new ApiCallError({
          code: 'helper-unavailable',
          message: `${name}: ${link.state.error ?? 'not reachable'}`,
        });
      }
      try {
        return await conn.client.call(call, params);
      } catch (error) {
        throw toApiError(name, error);
      }
    },

    async rollout(request: RolloutRequest) {
      await loaded;
      const hosts = request.hosts.map((n) => linkOf(n).host);
      const canary = request.canary ?? hosts[0]!.name;
      if (!hosts.some((h) => h.name === canary))
        throw new ApiCallError({ code: 'bad-request', message: `${canary}: not among the hosts` });
      for (const r of rollouts.values()) {
        if (r.rollout.phase !== 'done' && r.rollout.phase !== 'stopped')
          throw new ApiCallError({
            code: 'bad-request',
            message: 'A rollout is running: keep or stop it first.',
          });
      }
      const id = `r${++rolloutSeq}-${Date.now().toString(36)}`;
      const run: RolloutRun = {
        rollout: {
          id,
          phase: 'canary',
          canary,
          canaryDeadline: null,
          startedAt: new Date().toISOString(),
          hosts: hosts.map((h) => ({ name: h.name, state: 'waiting', message: null })),
        },
        decide: null,
        stopped: false,
      };
      rollouts.set(id, run);
      const onProgress = (e: RolloutEvent) => {
        const message = e.error?.message ?? null;
        switch (e.phase) {
          case 'applying':
            setHost(run, e.host, 'applying', null);
            break;
          case 'applied':
          case 'probing':
            setHost(run, e.host, 'confirming', null);
            break;
          case 'confirmed':
            setHost(run, e.host, 'kept', null);
            if (e.canary && !run.stopped)
              run.rollout = { ...run.rollout, phase: 'rest', canaryDeadline: null };
            break;
          case 'reverted':
            setHost(run, e.host, 'rolled-back', message);
            break;
          case 'failed': {
            const was = run.rollout.hosts.find((h) => h.name === e.host)?.state;
            setHost(run, e.host, was === 'rolled-back' ? 'rolled-back' : 'failed', message);
            break;
          }
          case 'skipped':
            setHost(run, e.host, 'skipped', message);
            break;
        }
        publish(run);
      };
      void client()
        .rollout(hosts, request.document, {
          canary,
          confirmTimeoutSeconds: request.confirmTimeoutSeconds ?? 30,
          onProgress,
          // The apply goes over the host's persistent session (opened if it is not); only the
          // health probe opens a new one.
          session: async (host) => ensure(linkOf(host.name)),
          confirmCanary: (probe) => {
            if (!probe.ok || run.stopped) return Promise.resolve(false);
            run.rollout = {
              ...run.rollout,
              phase: 'canary-confirm',
              canaryDeadline: probe.deadline || null,
            };
            publish(run);
            return new Promise<boolean>((resolve) => {
              run.decide = (keep) => {
                run.decide = null;
                resolve(keep);
              };
              // Nobody answered by the canary's own deadline: the helper rolls back; stop here.
              const ms = Date.parse(probe.deadline) - Date.now();
              const timer = setTimeout(
                () => run.decide?.(false),
                Number.isFinite(ms) ? Math.max(0, ms) : 30_000,
              );
              timer.unref?.();
            });
          },
        })
        .then(
          () => {
            run.rollout = {
              ...run.rollout,
              phase: run.stopped ? 'stopped' : 'done',
              canaryDeadline: null,
            };
            publish(run);
          },
          (error: unknown) => {
            run.rollout = {
              ...run.rollout,
              phase: 'done',
              canaryDeadline: null,
              hosts: run.rollout.hosts.map((h) =>
                h.state === 'waiting' || h.state === 'applying' || h.state === 'confirming'
                  ? { ...h, state: 'failed', message: messageOf(error) }
                  : h,
              ),
            };
            publish(run);
          },
        );
      publish(run);
      return run.rollout;
    },

    async confirmRollout(id) {
      const run = rollouts.get(id);
      if (!run) throw new ApiCallError({ code: 'not-found', message: `no rollout ${id}` });
      run.decide?.(true);
      return run.rollout;
    },

    async stopRollout(id) {
      const run = rollouts.get(id);
      if (!run) throw new ApiCallError({ code: 'not-found', message: `no rollout ${id}` });
      run.stopped = true;
      run.decide?.(false);
      return run.rollout;
    },

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      closed = true;
      clearInterval(poll);
      listeners.clear();
      for (const run of rollouts.values()) run.decide?.(false);
      await Promise.all([...links.values()].map(closeLink));
      links.clear();
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toApiError(host: string, error: unknown): ApiCallError {
  if (error instanceof ApiCallError) return error;
  if (error instanceof HelperCallError) {
    const extra = {
      ...(error.field ? { field: error.field } : {}),
      ...(error.problems ? { problems: error.problems } : {}),
    };
    const message = `${host}: ${error.message}`;
    switch (error.code) {
      case 'unreachable':
      case 'disconnected':
        return new ApiCallError({ code: 'helper-unavailable', message, ...extra });
      case 'invalid-document':
        return new ApiCallError({ code: 'invalid-document', message, ...extra });
      case 'bad-request':
        return new ApiCallError({ code: 'bad-request', message, ...extra });
      default:
        return new ApiCallError({ code: 'helper-error', message, ...extra });
    }
  }
  if (error instanceof FleetHostError)
    return new ApiCallError({ code: 'helper-unavailable', message: error.message });
  return new ApiCallError({ code: 'internal', message: `${host}: ${messageOf(error)}` });
}
