// Runtime: plain Node, as root. The helper's behaviour behind the socket: apply / confirm /
// revert / stop / showActive, counters, triggered tables, the log stream and timer rules.
// Invariants:
// - Only validated documents reach here, and the helper compiles them itself (never nft text).
// - Operations that change the kernel or the state directory run one at a time (`exclusive`).
// - A failed apply changes nothing: nft runs one transaction, and state is written after it.
// - An apply with a confirm timeout writes its intent (what to restore, the deadline) to disk
//   before nft starts, so no crash or kill -9 can leave unconfirmed rules without a rollback.

import {
  compile,
  dynamicSetElements,
  type DelayQueue,
  type RuleObjects,
} from '../../shared/compiler/index.ts';
import { withCommands, type Json, type NftProgram } from '../../shared/compiler/nft.ts';
import {
  PROTOCOL_VERSION,
  type CounterSnapshotResult,
  type HelperError,
  type HelperEventData,
  type HelperEventName,
  type HelperResult,
  type HelperStatusResult,
  type LogEventData,
  type TriggeredKind,
} from '../../shared/ipc/helper-protocol.ts';
import { countRules, numberRules, walk } from '../../shared/model/tree.ts';
import type { FirewallDocument, Problem, Rule } from '../../shared/model/types.ts';
import { validateDocument } from '../../shared/model/validate.ts';
import { createParseCache } from '../../shared/model/values.ts';
import { checkActions, runAction } from './actions.ts';
import { Shaper } from './shaping.ts';
import {
  ActionLimiter,
  defaultActionConfig,
  describeRate,
  loadActionConfig,
  type ActionConfig,
} from './action-config.ts';
import { loadOutboundPolicy, OutboundPolicy } from './outbound.ts';
import { CounterReader } from './counter-reader.ts';
import { DelayQueues } from './delay-queue.ts';
import { CounterTracker, type CounterWatch } from './counters.ts';
import { InterfaceNames, NflogReader, summarizePacket, type NflogPacket } from './nflog.ts';
import { Nft, NftError, systemNft, tableFingerprint, type NftRunner } from './nft.ts';
import { systemProgram } from './programs.ts';
import { forwardingWarning, readForwarding, syncRoutes } from './routing.ts';
import type { RouteTarget } from '../../shared/compiler/route.ts';
import { StateDir, StateFileError, type AppliedRecord, type PendingRecord } from './state.ts';
import { TimerRules, type TimerFire } from './timers.ts';
import { steps as noSteps, type Steps } from './timings.ts';
import {
  DEFAULT_SET_SIZE,
  exportTsv,
  importTsv,
  TriggeredInputError,
  TriggeredTables,
} from './triggered.ts';
import { HELPER_ACTIONS } from '../../shared/model/vocabulary-table.ts';

export class HelperFault extends Error {
  constructor(readonly error: HelperError) {
    super(error.message);
  }
}

const fault = (
  code: HelperError['code'],
  message: string,
  extra: Partial<HelperError> = {},
): HelperFault => new HelperFault({ code, message, ...extra });

/** One connected client, as the service sees it. */
export interface ClientHandle {
  readonly id: number;
  send<E extends HelperEventName>(event: E, data: HelperEventData<E>): void;
  counters?: {
    intervalMs: number;
    lastSentAt: number;
    watch: CounterWatch;
    /** Counts between ticks (`countsMs`): what moved since the last tick or counts. */
    counts?: { ms: number; watch: CounterWatch };
  };
  log?: boolean;
}

export interface ServiceOptions {
  socketPath: string;
  stateDir: string;
  logGroup: number;
  nft?: NftRunner;
  tcpdump?: string;
  version?: string;
  /** Table name (tests may use another); default treewall. */
  table?: string;
  /** Read counters over netlink (python3) rather than through nft; default true. */
  netlinkCounters?: boolean;
  /** The netlink reader's interpreter command (tests prefix `ip netns exec NS`). */
  python?: string[];
  /**
   * Destinations URL probes and Webhooks may contact, besides `<stateDir>/outbound-allow`
   * (outbound.ts). Default: none.
   */
  allowOutbound?: readonly string[];
}

interface Active {
  record: AppliedRecord;
  objects: Record<string, RuleObjects>;
  numbers: Map<string, string>;
  keyToId: Map<string, string>;
  rules: Map<string, Rule>;
  parents: Map<string, Rule | null>;
  warnings: Problem[];
  /** The table's base chains as compiled (the fast rollback turns them off). */
  baseChains: Json[];
  /** The first rule that needs IP forwarding (Masquerade, Port forward), if any. */
  forwarding?: { ruleId: string; number: string; action: string };
  /** Delay: the queues the worker serves (shared/compiler/delay.ts). */
  delays: DelayQueue[];
}

const ACTION_RATE_MS = 1000;
/** While a client asks for counts, how often the counter loop reads every map (`rhythm`). */
const FULL_SWEEP_MS = 5000;
/** Actions that reach outside the helper, rate-limited by actions.conf (action-rate). */
const ACTING_ACTIONS: ReadonlySet<string> = new Set(['Email', 'URL', 'Webhook', 'Script']);
/** How often dropped actions are reported (one event per rule). */
const DROP_REPORT_MS = 5000;

export class HelperService {
  readonly nft: Nft;
  readonly state: StateDir;
  readonly clients = new Set<ClientHandle>();
  /** Where URL probes and Webhooks may go (loaded at start). */
  outbound: OutboundPolicy = OutboundPolicy.none();
  /** SMTP relay, scripts folder, action rates (actions.conf; loaded at start). */
  actionConfig: ActionConfig = defaultActionConfig();
  private limiter = new ActionLimiter(this.actionConfig.perRule, this.actionConfig.total);
  /** Acting actions run / dropped by the rate limit since start, and drops not yet reported. */
  private actionsRan = 0;
  private readonly unreported = new Map<string, number>();
  private reportTimer: NodeJS.Timeout | undefined;
  /**
   * The client that applied the rule set in force (apply or revert), while it stays connected:
   * the only one that sees its URL probe and Webhook results (`notify:event` of kind url or
   * webhook). None after a rollback or `--apply-saved`: those results then go to no client.
   */
  private owner: ClientHandle | null = null;
  private readonly counters = new CounterTracker();
  private readonly counterReader: CounterReader;
  private readonly triggered: TriggeredTables;
  private readonly reader: NflogReader;
  private readonly ifnames = new InterfaceNames();
  /** The HTB qdiscs of shaping Rate limit out rules (shaping.ts). */
  private readonly shaper = new Shaper();
  /** Delay's queue worker (delay-queue.ts): fills the placeholders, holds and releases packets. */
  readonly delayQueues = new DelayQueues();
  private readonly timers: TimerRules;
  private active: Active | null = null;
  private previous: FirewallDocument | null = null;
  private pending: PendingRecord | null = null;
  private confirmTimer: NodeJS.Timeout | undefined;
  private loopTimer: NodeJS.Timeout | undefined;
  private lastTimerTick = 0;
  /** Start of the counter loop's last full reading (see `rhythm`). */
  private lastFullRead = 0;
  private readonly lastAction = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private lastError: string | null = null;
  /**
   * Route to's policy routing in force (routing.ts): the tables set, or the error setting them.
   * undefined until the first sync (which also removes what an earlier helper left).
   */
  private routing: { tables: number[]; error: string | null } | undefined;
  private closed = false;
  /** The fingerprint job of the last apply (status waits for it). */
  private fingerprinting: Promise<void> = Promise.resolve();
  /**
   * Applies called and not yet started: a fingerprint job finding one waiting is skipped, and
   * a running one is cancelled (its listing killed), since that apply replaces the table
   * anyway. Should the apply change nothing (refused), the fingerprint is taken again.
   */
  private appliesWaiting = 0;
  private fingerprintAbort: AbortController | null = null;
  /**
   * What the last listing of the kernel found (our table there, its fingerprint), with the
   * ruleset's generation it held at: while the generation stays the same, nothing changed in any
   * table of this namespace, and status answers from it (`kernelTable`).
   */
  private seenKernel: { generation: number; present: boolean; fingerprint: string | null } | null =
    null;
  /** The ruleset's generation read right after the last apply's load (`untouchedTable`). */
  private untouched: {
    generation: Promise<{ generation: number; table: boolean } | undefined>;
    record: AppliedRecord;
  } | null = null;
  /** The rollback's table, loaded ahead of a confirm deadline (see `prepareRollback`). */
  private readonly rb: Nft;
  /** Preparations run one at a time, beside (not in) the `exclusive` queue. */
  private prepQueue: Promise<unknown> = Promise.resolve();
  /** Bumped by everything that makes a prepared rollback stale (apply, confirm, stop...). */
  private rbGeneration = 0;
  private prepared: { restore: FirewallDocument; generation: number; ready: boolean } | null = null;

  constructor(readonly options: ServiceOptions) {
    this.state = new StateDir(options.stateDir);
    this.nft = new Nft(options.nft ?? systemNft(), options.stateDir, options.table ?? 'treewall');
    this.rb = new Nft(options.nft ?? systemNft(), options.stateDir, `${this.nft.table}_rb`);
    this.triggered = new TriggeredTables(this.nft);
    this.counterReader = new CounterReader(
      this.nft,
      options.python ?? [systemProgram('python3')],
      options.netlinkCounters ?? true,
    );
    this.reader = new NflogReader(options.logGroup, (p) => this.onLogPacket(p), options.tcpdump);
    this.timers = new TimerRules(
      (f) => this.onTimerFire(f),
      (ruleId, holds) => this.onTimerFlag(ruleId, holds),
    );
  }

  /* ---- start-up and shutdown ------------------------------------------------------------- */

  /** Reconcile what a previous run left (temporaries, a pending confirm), optionally re-apply. */
  async start(options: { applySaved?: boolean } = {}): Promise<string[]> {
    const notes: string[] = [];
    await this.state.init();
    this.outbound = await loadOutboundPolicy(this.options.stateDir, this.options.allowOutbound);
    notes.push(`outbound destinations for URL probes and Webhooks: ${this.outbound.describe()}`);
    this.actionConfig = await loadActionConfig(this.options.stateDir);
    this.limiter = new ActionLimiter(this.actionConfig.perRule, this.actionConfig.total);
    const ac = this.actionConfig;
    notes.push(
      `actions: SMTP relay ${ac.smtpRelay ? ac.smtpRelay.host : 'none'}, scripts folder ${ac.scriptsDir ?? 'none'}, at most ${describeRate(ac.perRule)} per rule and ${describeRate(ac.total)} in all (${ac.source})`,
    );
    const removed = await this.state.removeTemporaries();
    if (removed > 0) notes.push(`removed ${removed} temporary file(s) left by an earlier run`);
    this.previous = await this.state.readPrevious();
    // Fail safe: a pending confirm that cannot be read is never dropped (the unconfirmed rules
    // would stay in force for ever), nor is a document to re-apply at boot: the helper does not
    // start, and says what to do.
    try {
      this.pending = await this.state.readPending();
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      throw new Error(
        `${error.message}. It holds a confirm deadline and the rules to restore when it passes; ` +
          'without it the unconfirmed rules could stay in force for ever, so the helper does not ' +
          `start. Keep the rules now in force: remove ${error.file}. Remove them: ` +
          '`nft delete table inet treewall`, then remove the file. Then start the helper again.',
      );
    }
    let record: AppliedRecord | null;
    try {
      record = await this.state.readActive(options.applySaved === true && !this.pending);
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      throw new Error(
        `${error.message}. --apply-saved re-applies it, and the helper does not start without ` +
          `it. Move ${error.file} aside to start without re-applying anything (then apply a ` +
          'document), or restore it from a backup.',
      );
    }
    if (record) this.install(this.prepare(record));
    if (this.active) this.counters.reset(this.active.objects, record!.counterBase);

    const hadPending = this.pending !== null;
    if (this.pending) {
      const left = Date.parse(this.pending.deadline) - Date.now();
      if (left <= 0 || Number.isNaN(left)) {
        notes.push(
          'a confirm deadline passed while the helper was down: restoring the previous rules',
        );
        await this.exclusive(() =>
          this.rollback('the confirm deadline passed while the helper was down'),
        );
      } else {
        this.scheduleConfirm(left);
        notes.push(`a confirm is pending: ${Math.ceil(left / 1000)} s left`);
        if (this.pending.restore) this.prepareRollback(this.pending.restore);
      }
    } else {
      // No confirm pending: a prepared rollback an earlier run left (gated, inert) goes.
      this.dropPrepared();
    }
    if (!hadPending && options.applySaved && this.active) {
      await this.exclusive(() =>
        this.applyDocument(this.active!.record.document, undefined, 'boot'),
      );
      notes.push('re-applied the saved active document');
    }
    if (this.active && (await this.nft.tableExists())) {
      // The timers start over (every flag false): so does the kernel's flag set.
      await this.exclusive(() => this.clearTimerFlags()).catch((error) => {
        this.lastError = `timer flags: ${(error as Error).message}`;
      });
      // Delay rules in force: a new worker serves their queues (the placeholders are filled
      // again, replacing what an earlier helper's worker wrote).
      const delays = this.active.delays;
      if (delays.length > 0) await this.exclusive(() => this.syncDelays(delays));
      await this.startReader();
    }
    this.scheduleLoop();
    this.loadAhead();
    return notes;
  }

  async close(): Promise<void> {
    this.closed = true;
    // NOTE: kernel rules stay in force; a pending confirm stays on disk and is honoured at the
    // next start (its deadline is absolute).
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    if (this.loopTimer) clearTimeout(this.loopTimer);
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reader.stop();
    this.counterReader.stop();
    await this.queue.catch(() => undefined);
    this.nft.dropStandby();
    // The worker releases what it holds and exits; the rules stay, so their fallback decides
    // until a helper serves them again (open: pass at once; closed: delete).
    await this.delayQueues.stop();
  }

  /** Run operations that change the kernel or the state one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    // The next load's nft is started ahead once this change is answered (setImmediate: its
    // fork of this large process comes after the reply's write, not on an apply's way).
    void this.queue.then(() => setImmediate(() => this.loadAhead()));
    return run;
  }

  /** Start the next load's nft ahead (see `Nft.prepareLoad`); not once the helper closes. */
  private loadAhead(): void {
    if (!this.closed) this.nft.prepareLoad();
  }

  /* ---- calls ------------------------------------------------------------------------------ */

  /**
   * `known`: the caller just changed the kernel and knows the answer (apply, revert, stop), so
   * the listing — a full ruleset dump, slow at 10,000 rules — is skipped. NOTE: never call
   * without `known` from inside `exclusive` right after an apply: it waits for the fingerprint
   * job queued behind the caller.
   */
  async status(known?: { present: boolean; matches: boolean }): Promise<HelperStatusResult> {
    let present = known?.present ?? false;
    let matches = known?.matches ?? false;
    if (!known) {
      try {
        if (await this.untouchedTable()) {
          present = true;
          matches = true;
        } else {
          await this.fingerprinting;
          const kernel = await this.kernelTable();
          present = kernel.present;
          matches = this.matchesActive(kernel.fingerprint);
        }
      } catch (error) {
        this.lastError = (error as Error).message;
      }
    }
    const needs = this.active?.forwarding;
    let forwarding: HelperStatusResult['forwarding'] = null;
    if (needs) {
      const state = await readForwarding();
      forwarding = { ...state, message: forwardingWarning(needs, state) ?? null };
    }
    return {
      protocol: PROTOCOL_VERSION,
      version: this.options.version ?? '0.1.0',
      pid: process.pid,
      socketPath: this.options.socketPath,
      stateDir: this.options.stateDir,
      logGroup: this.options.logGroup,
      active: present,
      matchesApplied: matches,
      appliedAt: this.active?.record.appliedAt ?? null,
      ruleCount: this.active ? countRules(this.active.record.document.rules) : null,
      documentHash: this.active?.record.fingerprint ?? null,
      pendingConfirm: this.pending
        ? { deadline: this.pending.deadline, timeoutSeconds: this.pending.timeoutSeconds }
        : null,
      canRevert: this.pending !== null || this.previous !== null,
      logReader: this.reader.state,
      timerRules: this.timers.rules.map((r) => ({
        ...r,
        note: TIMER_NOTES[r.property] ?? 'evaluated once a second',
      })),
      warnings: this.active?.warnings ?? [],
      actions: {
        ran: this.actionsRan,
        dropped: this.limiter.droppedTotal,
        droppedByRule: Object.fromEntries(this.limiter.dropped),
      },
      lastError: this.lastError ?? this.reader.lastError,
      clients: this.clients.size,
      forwarding,
      routes: this.routing ?? null,
      delays: await this.delayQueues.state(),
    };
  }

  apply(
    document: FirewallDocument,
    confirmTimeoutSeconds?: number,
    times: Steps = noSteps(),
    client?: ClientHandle,
  ): Promise<HelperStatusResult> {
    this.appliesWaiting++;
    this.fingerprintAbort?.abort();
    return this.exclusive(async () => {
      this.appliesWaiting--;
      times.mark('exclusive');
      try {
        await this.applyDocument(document, confirmTimeoutSeconds, 'apply', times);
      } catch (error) {
        this.fingerprintAgain();
        throw error;
      }
      this.owner = client ?? null;
      return this.broadcastState(this.knownState());
    });
  }

  /** The table in force has no fingerprint (its job gave way to an apply that failed): take it. */
  private fingerprintAgain(): void {
    const record = this.active?.record;
    if (!record || record.fingerprint !== '') return;
    this.fingerprinting = this.exclusive(() => this.takeFingerprint(record)).catch((error) => {
      this.lastError = `fingerprint: ${(error as Error).message}`;
    });
  }

  confirm(): Promise<HelperStatusResult> {
    return this.exclusive(async () => {
      if (this.pending) {
        this.pending = null;
        if (this.confirmTimer) clearTimeout(this.confirmTimer);
        await this.state.writePending(null);
        this.dropPrepared();
      }
      return this.broadcastState(this.knownState());
    });
  }

  revert(client?: ClientHandle): Promise<HelperStatusResult> {
    return this.exclusive(async () => {
      if (this.pending) await this.rollback('reverted by request');
      else if (this.previous) await this.applyDocument(this.previous, undefined, 'revert');
      else
        throw fault(
          'not-active',
          'nothing to revert to: no earlier document was applied by this helper',
        );
      this.owner = client ?? null;
      return this.broadcastState(this.knownState());
    });
  }

  /** `revert`, only while the apply of `appliedAt` still awaits its confirm (decided inside the
   * queue, so no deadline or other call slips between the check and the rollback). */
  revertPending(appliedAt: string, client?: ClientHandle): Promise<HelperResult<'revertPending'>> {
    return this.exclusive(async () => {
      const holds = this.pending !== null && this.active?.record.appliedAt === appliedAt;
      // NOTE: status() with `known` inside the queue (see status()).
      if (!holds) return { reverted: false, status: await this.status(this.knownState()) };
      await this.rollback('reverted by request');
      this.owner = client ?? null;
      return { reverted: true, status: await this.broadcastState(this.knownState()) };
    });
  }

  stop(): Promise<HelperStatusResult> {
    return this.exclusive(async () => {
      await this.stopInternal();
      return this.broadcastState(this.knownState());
    });
  }

  showActive(withText = true): Promise<HelperResult<'showActive'>> {
    return this.exclusive(async () => {
      const kernel = await this.kernelTable();
      const text = kernel.present && withText ? await this.nft.listTableText() : '';
      if (!this.active) {
        return { document: null, appliedAt: null, matchesKernel: false, numbers: {}, text };
      }
      return {
        document: this.active.record.document,
        appliedAt: this.active.record.appliedAt,
        matchesKernel: this.matchesActive(kernel.fingerprint),
        numbers: Object.fromEntries(this.active.numbers),
        text,
      };
    });
  }

  async counterSnapshot(): Promise<CounterSnapshotResult> {
    if (!this.active)
      throw fault('not-active', 'no rules applied: apply a document first (treewall apply FILE)');
    await this.counters.read(this.counterReader);
    return { at: new Date().toISOString(), counters: this.counters.totals() };
  }

  subscribeCounters(
    client: ClientHandle,
    intervalMs: number,
    countsMs?: number,
  ): { intervalMs: number } {
    client.counters = {
      intervalMs,
      lastSentAt: 0,
      watch: this.counters.watch(),
      ...(countsMs !== undefined && countsMs < intervalMs
        ? { counts: { ms: countsMs, watch: this.counters.watch() } }
        : {}),
    };
    this.scheduleLoop(0);
    return { intervalMs };
  }

  unsubscribeCounters(client: ClientHandle): void {
    delete client.counters;
  }

  async subscribeLog(client: ClientHandle): Promise<HelperResult<'logSubscribe'>> {
    client.log = true;
    if (this.active) await this.startReader();
    return { group: this.options.logGroup, reader: this.reader.state };
  }

  async triggeredList(type?: TriggeredKind): Promise<HelperResult<'triggered.list'>> {
    // No separate "does the table exist" call: each nft call dumps the whole ruleset first.
    try {
      const objects = this.active?.objects ?? {};
      return {
        entries: await this.triggered.list(objects, this.active?.numbers ?? new Map(), type),
      };
    } catch (error) {
      if (error instanceof NftError && /No such file or directory/.test(error.stderr))
        return { entries: [] };
      if (error instanceof NftError) throw fault('nft-failed', error.message);
      throw error;
    }
  }

  triggeredAdd(address: string, type: TriggeredKind = 'trigger', durationSeconds?: number) {
    return this.exclusive(async () => {
      const added = await this.triggeredCall(() =>
        this.triggered.add([
          durationSeconds === undefined ? { address, type } : { address, type, durationSeconds },
        ]),
      );
      this.broadcast('triggered:changed', { time: new Date().toISOString() });
      return { added };
    });
  }

  triggeredRemove(address: string, type?: TriggeredKind) {
    return this.exclusive(async () => {
      const removed = await this.triggeredCall(() =>
        this.triggered.remove(this.active?.objects ?? {}, address, type),
      );
      if (removed > 0) this.broadcast('triggered:changed', { time: new Date().toISOString() });
      return { removed };
    });
  }

  triggeredFlush(type?: TriggeredKind) {
    return this.exclusive(async () => {
      const removed = await this.triggeredCall(() =>
        this.triggered.flush(this.active?.objects ?? {}, type),
      );
      if (removed > 0) this.broadcast('triggered:changed', { time: new Date().toISOString() });
      return { removed };
    });
  }

  triggeredImport(text: string) {
    return this.exclusive(async () => {
      const { entries, skipped } = importTsv(text);
      // A set holds at most its size (65535); past it the kernel refuses the whole transaction
      // ("Too many open files in system"). What fits is imported, the rest reported by line.
      const { fits, full } = await this.triggeredCall(() => this.triggered.fit(entries));
      for (const f of full) {
        skipped.push({
          line: f.entry.line,
          message: `not imported: ${f.set} is full (a triggered table holds at most ${f.size} addresses per address family)`,
        });
      }
      skipped.sort((a, b) => a.line - b.line);
      const added = await this.triggeredCall(() => this.triggered.add(fits));
      if (added > 0) this.broadcast('triggered:changed', { time: new Date().toISOString() });
      return { added, skipped };
    });
  }

  async triggeredExport(type?: TriggeredKind): Promise<{ text: string }> {
    return { text: exportTsv((await this.triggeredList(type)).entries) };
  }

  /* ---- apply, rollback, stop -------------------------------------------------------------- */

  private async applyDocument(
    document: FirewallDocument,
    confirmTimeoutSeconds: number | undefined,
    why: 'apply' | 'revert' | 'rollback' | 'boot',
    times: Steps = noSteps(),
    /** Where the addresses to keep are listed (the rollback's table, once it took over). */
    keepFrom: Nft = this.nft,
  ): Promise<void> {
    // Replacing the table empties its sets: put the triggered / authorized / kept addresses
    // back, with their remaining time (sets of Trigger rules the document no longer has: gone).
    // The listing (an nft process reading our own table, nothing more) runs while the document is
    // validated; nothing is loaded before validation and compilation have passed.
    const listing = this.dynamicElements(keepFrom);
    // The log reader (tcpdump, started by the first apply of the helper's life; ~0.1 s until it
    // listens) starts now and is waited for once the rules are loaded, not after.
    const readerStarting = this.startReader();
    readerStarting.catch(() => undefined);
    // The values the compiler parses are the ones validation reads: parsed once, for both.
    const parseCache = createParseCache();
    /** Validation: what stops the document from being applied (empty: nothing). */
    const validate = async () => {
      const problems = validateDocument(document, parseCache);
      // Destinations of URL probes and Webhooks: the helper's configuration decides (a rollback,
      // revert or boot re-applies what was accepted; its actions are still checked when they
      // fire).
      if (why === 'apply') problems.push(...this.outbound.problems(document));
      // Scripts must be safe files of the helper's scripts folder; Emails need its relay
      // (warning).
      const acting = await checkActions(document, this.actionConfig);
      if (why === 'apply') problems.push(...acting.errors);
      return { problems, acting };
    };
    const options = { logGroup: this.options.logGroup, tableName: this.nft.table, parseCache };
    // Compiled first, validated while nft reads and parses the program (below): nothing of it
    // can load before validation passed. The compiler takes any document the protocol's schema
    // accepts (the editor compiles documents with problems to list them); should it refuse one
    // or throw, validation's problems come first, as when it ran first.
    // Compiled without waiting for the listing: most applies have no address to carry over, and
    // the listing (an nft process that dumps the whole ruleset, 60-80 ms at 10,000 rules) then
    // costs nothing on the way. If it finds some, the document is compiled again with them.
    let compiled: ReturnType<typeof compile>;
    let keptElements: Record<string, Json[]> = {};
    let keptError: string | undefined;
    try {
      compiled = compile(document, { ...options, keepElements: {} });
      times.mark('compile');
      const kept = await listing;
      times.mark('listSets');
      if (compiled.ok && Object.keys(kept.elements).length > 0) {
        compiled = compile(document, { ...options, keepElements: kept.elements });
        times.mark('compile again');
      }
      keptElements = kept.elements;
      keptError = kept.error;
    } catch (error) {
      const { problems } = await validate();
      if (problems.length > 0) throw invalidDocument(problems);
      throw error;
    }
    if (!compiled.ok) {
      const { problems } = await validate();
      throw invalidDocument(problems.length > 0 ? problems : compiled.problems);
    }
    // Fold in the old table's last counts before it goes (rules that keep their id keep
    // counting). The reading (python3, another process) runs while nft reads the program and
    // the document is validated; packets counted between the reading and the load are lost
    // (about a validation's time). A reading of every counter asked and not answered yet (an
    // apply right after another: the first reading of the table it loaded) is the one used, not
    // one more queued behind it.
    const reading = this.active
      ? this.counters.readEvery(this.counterReader).catch(() => undefined)
      : undefined;

    // Every load also removes the rollback's table (prepared ahead, or in force after a fast
    // rollback, see `prepareRollback`), in the same transaction: one table of ours in force.
    const program = withCommands(compiled.nft, dropTable(this.rb.table));
    // The load may complete only once `gate` opens: the document validated, the counters read,
    // the pending confirm on disk (`Nft.startJson`).
    let open!: () => void;
    let shut!: (reason: Error) => void;
    const gate = new Promise<void>((resolve, reject) => {
      open = resolve;
      shut = reject;
    });
    gate.catch(() => undefined);
    let nft: { done: Promise<void> };
    try {
      nft = await this.nft.startJson(program, gate);
    } catch (error) {
      const [{ problems }] = await Promise.all([validate(), reading]);
      if (problems.length > 0) throw invalidDocument(problems);
      throw nftFault(error);
    }
    times.mark('nft started');
    const stopLoad = async (): Promise<void> => {
      shut(new Error('the apply stopped before its load'));
      await nft.done.catch(() => undefined);
    };
    let checked: Awaited<ReturnType<typeof validate>>;
    try {
      checked = await validate();
    } catch (error) {
      await Promise.all([stopLoad(), reading]);
      throw error;
    }
    times.mark('validate');
    if (checked.problems.length > 0) {
      await Promise.all([stopLoad(), reading]);
      throw invalidDocument(checked.problems);
    }
    const acting = checked.acting;
    await reading;
    times.mark('counters');

    const appliedAt = new Date().toISOString(); // when the load started
    const old = this.active?.record.document ?? null;
    // With a confirm timeout, the intent (what to restore, and when) is on disk BEFORE the load
    // can complete: nft is its own process and finishes its transaction even if the helper is
    // killed while it loads, so a record written after the load could be missing while the
    // unconfirmed rules are in force. A restarted helper treats the intent as a pending confirm
    // (rolls back at its deadline), whatever became of the load. The deadline counts from the
    // start of the load.
    let intent: PendingRecord | null = null;
    if (confirmTimeoutSeconds !== undefined) {
      intent = {
        deadline: new Date(Date.parse(appliedAt) + confirmTimeoutSeconds * 1000).toISOString(),
        timeoutSeconds: confirmTimeoutSeconds,
        // The rollback target is the last confirmed state, even across several unconfirmed
        // applies.
        restore: this.pending ? this.pending.restore : old,
      };
      try {
        await this.state.writePending(intent);
      } catch (error) {
        await stopLoad();
        throw error;
      }
      times.mark('intent');
    }
    // A rollback prepared ahead is stale from here on (this load removes its table).
    this.rbGeneration++;
    this.prepared = null;
    open();
    if (keptError) this.lastError = keptError;

    // While nft loads (its own process, on the other core) the helper prepares what it keeps
    // once the load succeeded: counter bases, the new state files (encoded and synced to
    // temporaries, put in place only after nft succeeded), the rule index. A failed load drops
    // all of it and changes nothing.
    const base = this.active ? this.counters.carryOver(compiled.objects) : {};
    // The fingerprint needs a full listing (as long as the apply itself at 10,000 rules): it is
    // taken by a job queued right behind this one, so the caller does not wait for it.
    const record: AppliedRecord = { document, appliedAt, fingerprint: '', counterBase: base };
    const keepsPrevious = why !== 'boot' && why !== 'rollback' && old !== null;
    const staging = this.state.stageApplied(record, keepsPrevious ? old! : undefined);
    const next = this.prepare(record, compiled);
    if (next) next.warnings = [...next.warnings, ...acting.warnings];
    const [loaded, staged] = await Promise.allSettled([
      nft.done.finally(() => times.point('nft')),
      staging.finally(() => times.point('staged')),
    ]);
    if (loaded.status === 'rejected') {
      if (staged.status === 'fulfilled') await staged.value.discard();
      await this.withdrawIntent(intent);
      throw nftFault(loaded.reason);
    }
    // Asked now, answered while the rest is installed: until the ruleset's generation moves,
    // our table is what this load put there (`untouchedTable`).
    const loadedGeneration = this.counterReader.generation();
    if (intent) {
      // The rules are in force unconfirmed: from here on the deadline holds, whatever fails next.
      this.pending = intent;
      this.scheduleConfirm(Date.parse(intent.deadline) - Date.now());
    }
    if (staged.status === 'rejected') throw staged.reason;
    times.mark('nft+stage');

    // With a confirm timeout the pending record is on disk already (the intent, above).
    if (!intent && why !== 'boot' && why !== 'rollback') {
      // A rollback clears its pending confirm itself, together with lastError, so a status
      // call in between never sees "no pending confirm and no error".
      this.pending = null;
      if (this.confirmTimer) clearTimeout(this.confirmTimer);
      try {
        await this.state.writePending(null);
      } catch (error) {
        await staged.value.discard();
        throw error;
      }
    }
    // The pending confirm is on disk first (above), then the staged files go in place.
    if (keepsPrevious) this.previous = old;
    await staged.value.commit();
    times.mark('state');
    // Shaping Rate limit out rules: their HTB classes on the interfaces (ours removed when none).
    const shaping = compiled.shaping ?? [];
    const shapeWarnings = await this.shaper.sync(shaping);
    if (next && shapeWarnings.length > 0) {
      const first = shaping[0];
      next.warnings = [
        ...next.warnings,
        ...shapeWarnings.map((message) => ({
          ruleId: first?.ruleId ?? '',
          number: first?.number ?? '',
          message,
        })),
      ];
    }
    this.install(next);
    await this.syncRouting(compiled.routes);
    // Delay: the worker fills the new table's placeholders (until then the fallback decides).
    await this.syncDelays(compiled.delays);
    this.counters.reset(compiled.objects, base);
    this.counterReader.reset();
    // The first reading of a new table is a full one (every counter and map element: ~0.1-0.2 s
    // at 10,000 rules): take it behind the reply (setImmediate: the reply's write comes first),
    // so the next apply's reading (on its path) and the counter loop's are changed-only.
    // Readings are queued in the reader.
    setImmediate(() => void this.counters.read(this.counterReader).catch(() => undefined));
    await readerStarting;
    times.mark('install');
    this.untouched = { generation: loadedGeneration, record };
    this.fingerprinting = this.exclusive(() => this.takeFingerprint(record)).catch((error) => {
      this.lastError = `fingerprint: ${(error as Error).message}`;
    });
    // The addresses this apply carried over are the ones to keep (no second listing).
    if (intent?.restore) this.prepareRollback(intent.restore, keptElements);
  }

  /**
   * Load the rollback ahead of its deadline, so that it lands at the deadline whatever the size
   * (nft loads 30,000 rules in seconds, 100,000 in over a minute here). The document to restore
   * is compiled into its own table (`treewall_rb`), loaded *gated*: each base chain starts with
   * `jump gate`, and chain `gate` holds one `accept`, so the table passes every packet on
   * (accept ends only its own chain) and changes nothing. At the deadline one small transaction
   * flushes `gate` and turns our base chains off (`fastRollback`): the restored rules are in
   * force at once. The addresses to keep are those in our table now; addresses triggered after this
   * point and before the deadline are not carried over (those triggered after the switch are).
   * Runs beside the `exclusive` queue (a confirm never waits for it); stale results are removed.
   */
  private prepareRollback(restore: FirewallDocument, keep?: Record<string, Json[]>): void {
    const generation = this.rbGeneration;
    const entry = { restore, generation, ready: false };
    this.prepared = entry;
    // TREEWALL_HELPER_TIMINGS=1: one line when it is ready (how long it waited, each step).
    const times = noSteps(performance.now());
    const run = this.prepQueue.then(async () => {
      if (this.rbGeneration !== generation) return;
      times.mark('queued');
      const keepElements = keep ?? (await this.dynamicElements()).elements;
      if (this.rbGeneration !== generation) return;
      times.mark('listSets');
      const compiled = compile(restore, {
        logGroup: this.options.logGroup,
        tableName: this.rb.table,
        keepElements,
      });
      if (!compiled.ok) return;
      times.mark('compile');
      await this.rb.applyJson(gated(compiled.nft, this.rb.table));
      times.mark('nft');
      if (this.rbGeneration === generation) {
        entry.ready = true;
        times.done('rollback prepared');
      }
      // Stale meanwhile (an apply, a confirm): nothing may keep it.
      else await this.rb.deleteTable();
    });
    this.prepQueue = run.catch((error) => {
      // The rollback then takes the slow way (a full load at the deadline).
      if (this.rbGeneration === generation)
        this.lastError = `preparing the rollback: ${(error as Error).message}`;
    });
  }

  /** Forget the prepared rollback and remove its table (after any preparation in flight). */
  private dropPrepared(): void {
    this.rbGeneration++;
    this.prepared = null;
    this.prepQueue = this.prepQueue.then(() => this.rb.deleteTable()).catch(() => undefined);
  }

  /**
   * The rollback in one small transaction, when it was prepared for `restore` and is loaded:
   * returns true when the restored rules are in force.
   */
  private async fastRollback(restore: FirewallDocument): Promise<boolean> {
    const p = this.prepared;
    if (!p || !p.ready || p.restore !== restore || p.generation !== this.rbGeneration) return false;
    const bases = this.active?.baseChains ?? [];
    if (bases.length === 0) return false;
    try {
      // Open the gate, and turn our table's base chains off (policy accept, no rules): only
      // flushes and a policy change, which nft sends without reading the ruleset first (29 ms
      // beside two 30,000-rule tables; deleting the table here took 13 s at 100,000 rules).
      // The table itself goes when the restored document moves back into it.
      await this.rb.applyJson({
        nftables: [
          { metainfo: { json_schema_version: 1 } },
          { flush: { chain: { family: 'inet', table: this.rb.table, name: GATE_CHAIN } } },
          ...bases.map((chain) => ({ add: { chain: { ...(chain as object), policy: 'accept' } } })),
          ...bases.map((chain) => ({
            flush: {
              chain: {
                family: 'inet',
                table: this.nft.table,
                name: (chain as { name: string }).name,
              },
            },
          })),
        ],
      });
      return true;
    } catch (error) {
      this.lastError = `fast rollback: ${(error as Error).message}; restoring the slow way`;
      return false;
    }
  }

  /**
   * nft refused (or could not start): the unconfirmed rules are not in force, so the intent
   * written for them goes; what was pending before (or nothing) is on disk again. If even that
   * write fails, the intent stays: its rollback restores the last confirmed rules, which is
   * what is in force anyway.
   */
  private async withdrawIntent(intent: PendingRecord | null): Promise<void> {
    if (!intent) return;
    await this.state.writePending(this.pending).catch((error) => {
      this.lastError = `apply: could not withdraw the confirm intent: ${(error as Error).message}`;
    });
  }

  /**
   * The addresses in our table's dynamic sets (t4_/t6_<key>, trig, auth, keep), for the next
   * compile to put back. No table: none. A listing that fails for another reason must not block
   * an apply (the rules matter more than the bans): `error` says so and the bans are lost.
   */
  private async dynamicElements(
    from: Nft = this.nft,
  ): Promise<{ elements: Record<string, Json[]>; error?: string }> {
    try {
      // Our own table, whose sets the last compile named: over netlink (no nft process, no
      // full ruleset dump on the apply's path); anything else through nft.
      const objects = from === this.nft ? this.active?.objects : undefined;
      if (objects) {
        const sets = ['trig', 'auth', 'keep', 'inv'].flatMap((b) => [`${b}4`, `${b}6`]);
        for (const o of Object.values(objects)) if (o.sets) sets.push(...o.sets);
        const read = await this.counterReader.readSets(sets);
        if (read) return { elements: read };
      }
      return { elements: dynamicSetElements(await from.listSets()) };
    } catch (error) {
      if (error instanceof NftError && /No such file or directory/.test(error.stderr))
        return { elements: {} };
      return {
        elements: {},
        error: `apply: could not keep the triggered addresses: ${(error as Error).message}`,
      };
    }
  }

  /** Remember what our table looks like right after an apply (showActive compares with it). */
  private async takeFingerprint(record: AppliedRecord): Promise<void> {
    if (this.active?.record !== record) return;
    // An apply is waiting behind this job: it replaces the table, so this listing (as long as
    // the apply itself at 10,000 rules) would only delay it (see `appliesWaiting`).
    if (this.appliesWaiting > 0) return;
    const abort = new AbortController();
    this.fingerprintAbort = abort;
    let kernel: { present: boolean; fingerprint: string | null };
    try {
      kernel = await this.listKernelTable(abort.signal);
    } catch (error) {
      if (abort.signal.aborted) return;
      throw error;
    } finally {
      if (this.fingerprintAbort === abort) this.fingerprintAbort = null;
    }
    record.fingerprint = kernel.fingerprint ?? '';
    await this.state.writeActive(record);
  }

  /**
   * Our table as the last apply loaded it, when no transaction ran since (the generation read
   * right after the load is still the kernel's): a status right after an apply
   * does not wait for that listing (a full ruleset dump: ~4 s of CPU at 100,000 rules, longer
   * under load). False when that cannot be told.
   */
  private async untouchedTable(): Promise<boolean> {
    const u = this.untouched;
    const record = this.active?.record;
    if (!u || !record || u.record !== record || record.fingerprint !== '') return false;
    const loaded = await u.generation;
    if (!loaded?.table) return false;
    const now = await this.counterReader.generation();
    // The fingerprint to come is of this very table: it will match.
    return now?.generation === loaded.generation && this.active?.record === record;
  }

  /**
   * Whether our table is there, and its fingerprint (null: absent). From `seenKernel` while the
   * ruleset's generation is the one it was listed at (no transaction ran in this namespace since:
   * two netlink get requests), else from a listing, a full ruleset dump (~4 s of CPU at 100,000
   * rules), which status calls made every time before.
   */
  private async kernelTable(): Promise<{ present: boolean; fingerprint: string | null }> {
    const now = await this.counterReader.generation();
    const seen = this.seenKernel;
    if (now && seen && seen.generation === now.generation) return seen;
    if (now && !now.table) {
      this.seenKernel = { generation: now.generation, present: false, fingerprint: null };
      return this.seenKernel;
    }
    return this.listKernelTable(undefined, now);
  }

  /**
   * List our table for its fingerprint, and remember what it found with the ruleset's
   * generation when none changed during the listing (a transaction of anyone's in between
   * raises it: then nothing is remembered, and the next status lists again).
   */
  private async listKernelTable(
    signal?: AbortSignal,
    known?: { generation: number },
  ): Promise<{ present: boolean; fingerprint: string | null }> {
    // The reader may be busy with a full counter reading (~0.1 s at 10,000 rules): an apply
    // that arrives meanwhile must not wait for it (`signal`, see `appliesWaiting`).
    const before = known ?? (await untilAborted(this.counterReader.generation(), signal));
    const list = await this.nft.listTable(signal);
    const kernel = { present: list !== null, fingerprint: list ? tableFingerprint(list) : null };
    const after = before ? await this.counterReader.generation() : undefined;
    if (before && after && after.generation === before.generation)
      this.seenKernel = { generation: before.generation, ...kernel };
    return kernel;
  }

  /** Whether a fingerprint of the kernel's table is the one taken right after our apply. */
  private matchesActive(fingerprint: string | null): boolean {
    return (
      fingerprint !== null &&
      this.active !== null &&
      this.active.record.fingerprint !== '' &&
      fingerprint === this.active.record.fingerprint
    );
  }

  /** The kernel state right after one of our own changes. */
  private knownState(): { present: boolean; matches: boolean } {
    return { present: this.active !== null, matches: this.active !== null };
  }

  /** Restore what was in force before an unconfirmed apply. */
  private async rollback(reason: string): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    const current = this.active?.record.document ?? null;
    try {
      if (pending.restore && (await this.fastRollback(pending.restore))) {
        // In force now (the prepared table). Back into our own table, behind the scenes: one
        // transaction that loads it and removes the prepared one, bans carried over from it.
        await this.applyDocument(pending.restore, undefined, 'rollback', noSteps(), this.rb);
      } else if (pending.restore) await this.applyDocument(pending.restore, undefined, 'rollback');
      else await this.stopInternal();
    } catch (error) {
      // Restoring failed (nft refused?): keep the deadline so the next start tries again.
      this.lastError = `rollback failed: ${(error as Error).message}`;
      throw error;
    }
    this.lastError = `rolled back: ${reason}`;
    this.owner = null;
    this.pending = null;
    await this.state.writePending(null);
    if (current) {
      this.previous = current;
      await this.state.writePrevious(current);
    }
    this.broadcast('notify:event', {
      time: new Date().toISOString(),
      kind: 'alert',
      ruleId: null,
      ruleNumber: null,
      title: 'Rules rolled back',
      body: `treewall restored the previous rules: ${reason}`,
      ok: true,
    });
  }

  /**
   * Route to: make treewall's `ip rule`s and routing tables match the rules in force (routing.ts).
   * Nothing to do when none are needed and none were set. A failure is reported (status
   * `routes.error`, lastError); the nft rules stay (packets then follow the main table).
   */
  private async syncRouting(routes: readonly RouteTarget[]): Promise<void> {
    if (routes.length === 0 && this.routing !== undefined && this.routing.tables.length === 0)
      return;
    const error = await syncRoutes(routes);
    this.routing = { tables: error ? [] : routes.map((r) => r.table), error: error ?? null };
    if (error) this.lastError = `Route to: ${error}`;
  }

  /**
   * Delay: the queue worker serves the queues of the rules in force (delay-queue.ts). A failure is
   * reported (status `delays.error`, lastError); the rules' fallback then decides for their packets.
   */
  private async syncDelays(delays: readonly DelayQueue[]): Promise<void> {
    const error = await this.delayQueues.sync(this.nft.table, delays);
    if (error) this.lastError = error;
  }

  private async stopInternal(): Promise<void> {
    this.dropPrepared();
    await this.nft.deleteTable();
    await this.syncDelays([]);
    await this.syncRouting([]);
    const unshaped = await this.shaper.sync([]);
    if (unshaped.length > 0) this.lastError = unshaped.join('; ');
    if (this.active) {
      this.previous = this.active.record.document;
      await this.state.writePrevious(this.previous);
    }
    this.active = null;
    this.pending = null;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    await this.state.writePending(null);
    await this.state.writeActive(null);
    this.counters.clear();
    this.timers.reset([], new Map());
    this.reader.stop();
  }

  private scheduleConfirm(ms: number): void {
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    const deadline = this.pending?.deadline;
    this.confirmTimer = setTimeout(
      () => {
        if (this.closed) return;
        void this.exclusive(async () => {
          if (!this.pending || this.pending.deadline !== deadline) return;
          await this.rollback(`no confirm within ${this.pending.timeoutSeconds} s`);
          await this.broadcastState(this.knownState());
        }).catch((error) => {
          this.lastError = `rollback failed: ${(error as Error).message}`;
        });
      },
      Math.max(0, ms),
    );
  }

  /** The index of an applied document (no side effects but `lastError`); `install` uses it. */
  private prepare(record: AppliedRecord, compiled?: ReturnType<typeof compile>): Active | null {
    const result =
      compiled ??
      compile(record.document, { logGroup: this.options.logGroup, tableName: this.nft.table });
    if (!result.ok) {
      this.lastError = 'the saved active document no longer compiles; apply a document again';
      return null;
    }
    const numbers = numberRules(record.document.rules);
    const keyToId = new Map<string, string>();
    for (const [id, o] of Object.entries(result.objects)) keyToId.set(o.key, id);
    const rules = new Map<string, Rule>();
    const parents = new Map<string, Rule | null>();
    walk(record.document.rules, (r, _path, parent) => {
      rules.set(r.id, r);
      parents.set(r.id, parent);
    });
    return {
      record,
      objects: result.objects,
      numbers,
      keyToId,
      rules,
      parents,
      warnings: result.warnings,
      baseChains: [...result.nft.baseChains],
      ...(result.forwarding ? { forwarding: result.forwarding } : {}),
      delays: result.delays,
    };
  }

  /** Make a prepared document the active one (its timer rules start over). */
  private install(active: Active | null): void {
    this.active = active;
    if (active) this.timers.reset(active.record.document.rules, active.numbers);
  }

  private async triggeredCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof TriggeredInputError)
        throw fault('bad-request', error.message, { field: 'params.address' });
      if (error instanceof NftError && /No such file or directory/.test(error.stderr)) {
        throw fault('not-active', 'no rules applied (our table is absent): apply a document first');
      }
      if (error instanceof NftError && /Too many open files in system/.test(error.stderr)) {
        throw fault(
          'nft-failed',
          `the triggered table is full (at most ${DEFAULT_SET_SIZE} addresses per table and address family); nothing was added`,
        );
      }
      if (error instanceof NftError) throw fault('nft-failed', error.message);
      throw error;
    }
  }

  /* ---- the one background loop: counters, ticks, timer rules ------------------------------ */

  /**
   * The loop's rhythm: ticks (and timer rules) every `full` ms, at most 1 s apart, each round
   * reading every map; when a subscriber asked for counts (`countsMs`) and the netlink reader is
   * there to make them cheap, rounds every `step` ms, quick readings (only the maps whose guards
   * moved: ~2-5 ms of CPU at 10,000 rules instead of ~15-25) but for a full one every
   * FULL_SWEEP_MS.
   */
  private rhythm(): { full: number; step: number } {
    const subs = [...this.clients].flatMap((c) => (c.counters ? [c.counters] : []));
    const full = Math.min(1000, ...subs.map((s) => s.intervalMs));
    const counts = this.counterReader.quickReadings
      ? subs.flatMap((s) => (s.counts ? [s.counts.ms] : []))
      : [];
    return { full, step: Math.min(full, ...counts) };
  }

  private scheduleLoop(delay?: number, lastStart?: number): void {
    if (this.closed) return;
    if (this.loopTimer) clearTimeout(this.loopTimer);
    const { step } = this.rhythm();
    // After a round: what is left of the interval (at least 50 ms, so a slow reading never
    // runs back to back and starves the socket).
    const next = lastStart === undefined ? step : Math.max(50, lastStart + step - Date.now());
    this.loopTimer = setTimeout(() => void this.loop(), delay ?? next);
  }

  private async loop(): Promise<void> {
    // The next round is timed from this one's start, not its end, so a reading that takes a
    // few hundred milliseconds (10,000 rules on a loaded machine) does not stretch 1 Hz.
    const started = Date.now();
    try {
      const subscribers = [...this.clients].filter((c) => c.counters);
      const timersDue = this.timers.rules.length > 0 && started - this.lastTimerTick >= 950;
      const { full: fullMs, step } = this.rhythm();
      // While counts are asked for, readings are quick (exact as long as the guards hold, see
      // `mapGuards`), with a full sweep every FULL_SWEEP_MS that bounds what a reading the
      // guards got wrong could miss; otherwise every reading is full, as before.
      const quick = step < fullMs && started - this.lastFullRead < FULL_SWEEP_MS - 50;
      if (this.active && (subscribers.length > 0 || timersDue)) {
        if (!quick) this.lastFullRead = started;
        await this.counters.read(this.counterReader, { parents: this.active.parents, quick });
        // Watchers of clients that went away stop collecting changes. NOTE: the subscribers
        // *now*, not `subscribers`: a client that subscribed during the reading (seconds on a
        // busy host) is not in that list, and dropping its watch would leave it empty ticks
        // for good (counter-subscribe.test.ts).
        this.counters.keepWatching(
          new Set(
            [...this.clients].flatMap((c) =>
              c.counters
                ? [c.counters.watch, ...(c.counters.counts ? [c.counters.counts.watch] : [])]
                : [],
            ),
          ),
        );
        const now = Date.now();
        for (const c of subscribers) {
          const sub = c.counters!;
          // Spacing by round starts: a slow reading in one round does not skip the next.
          if (started - sub.lastSentAt < sub.intervalMs - 50) {
            // Counts only, as soon as read: the number in the outline need not wait for the
            // tick (rates and histories still go by the ticks).
            if (!sub.counts) continue;
            const { changed, totals: sums } = sub.counts.watch.take();
            if (Object.keys(changed).length === 0) continue;
            c.send('counters:tick', {
              at: new Date(now).toISOString(),
              intervalMs: sub.intervalMs,
              changed,
              totals: sums,
              partial: true,
            });
            continue;
          }
          // What the tick tells needs no counts message after it.
          sub.counts?.watch.take();
          // Only the rules that changed since this client's last tick are looked at.
          const { changed, totals: sums } = sub.watch.take();
          sub.lastSentAt = started;
          c.send('counters:tick', {
            at: new Date(now).toISOString(),
            intervalMs: sub.intervalMs,
            changed,
            totals: sums,
          });
        }
        if (timersDue) {
          this.lastTimerTick = started;
          this.timers.tick(this.counters.current(), this.counters.lastChange, now);
        }
      }
    } catch (error) {
      this.lastError = `counter reader: ${(error as Error).message}`;
    } finally {
      this.scheduleLoop(undefined, started);
    }
  }

  /* ---- log, event actions, timer actions -------------------------------------------------- */

  private async startReader(): Promise<void> {
    if (this.reader.state === 'running') return;
    if (this.reader.state === 'unavailable') return;
    await this.reader.start();
  }

  private onLogPacket(packet: NflogPacket): void {
    const active = this.active;
    const ruleId = active?.keyToId.get(packet.prefix.trim()) ?? null;
    const rule = ruleId ? active!.rules.get(ruleId) : undefined;
    const summary = summarizePacket(packet.payload);
    const direction =
      packet.hook === 3 ? 'outbound' : packet.hook === 1 || packet.hook === 2 ? 'inbound' : null;
    const event: LogEventData = {
      time: new Date(eventTime(packet.timeMs)).toISOString(),
      ruleId,
      ruleNumber: ruleId ? (active!.numbers.get(ruleId) ?? null) : null,
      action: rule?.action ?? packet.prefix,
      direction,
      inInterface: this.ifnames.name(packet.inIfindex),
      outInterface: this.ifnames.name(packet.outIfindex),
      protocol: summary.protocol,
      src: summary.src,
      dst: summary.dst,
      srcPort: summary.srcPort,
      dstPort: summary.dstPort,
      length: summary.length,
    };
    if (rule?.action === 'Trigger' && summary.src)
      this.triggered.noteTrigger(summary.src, packet.timeMs);
    for (const c of this.clients) if (c.log) c.send('log:event', event);
    if (rule && HELPER_ACTIONS.has(rule.action)) {
      const from = summary.src ? ` from ${summary.src}` : '';
      this.runRuleAction(
        rule,
        active!.parents.get(rule.id) ?? null,
        `${summary.protocol ?? 'packet'}${from}`,
        {
          direction: event.direction,
          inInterface: event.inInterface,
          outInterface: event.outInterface,
          protocol: event.protocol,
          src: event.src,
          dst: event.dst,
          srcPort: event.srcPort,
          dstPort: event.dstPort,
          length: event.length,
        },
      );
    }
  }

  private onTimerFire(f: TimerFire): void {
    this.runRuleAction(f.rule, f.parent, f.reason);
  }

  /**
   * A timer rule's condition started or stopped holding: set or clear its element in `hf`, which
   * its compiled kernel rule tests (so `Parent match count >= 50` -> Delete drops packets while
   * it holds). Queued with the other kernel changes; skipped when an apply replaced the table
   * meanwhile (the new table's set starts empty, and so do the timers).
   */
  private onTimerFlag(ruleId: string, holds: boolean): void {
    const active = this.active;
    const flag = active?.objects[ruleId]?.flag;
    if (!active || flag === undefined) return;
    const element = { family: 'inet', table: this.nft.table, name: 'hf', elem: [flag] };
    // Clearing adds first, in the same transaction: deleting an absent element is an error.
    const commands = holds
      ? [{ add: { element } }]
      : [{ add: { element } }, { delete: { element } }];
    void this.exclusive(async () => {
      if (this.active !== active) return;
      await this.nft.applyJson({
        nftables: [{ metainfo: { json_schema_version: 1 } }, ...commands],
      });
    }).catch((error) => {
      this.lastError = `timer flag of rule ${active.numbers.get(ruleId) ?? ruleId}: ${(error as Error).message}`;
    });
  }

  private async clearTimerFlags(): Promise<void> {
    const active = this.active;
    if (!active || !Object.values(active.objects).some((o) => o.flag !== undefined)) return;
    await this.nft.applyJson({
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { flush: { set: { family: 'inet', table: this.nft.table, name: 'hf' } } },
      ],
    });
  }

  private runRuleAction(
    rule: Rule,
    parent: Rule | null,
    reason: string,
    packet?: Record<string, string | number | null>,
  ): void {
    if (rule.action === 'Reset parent') {
      this.timers.resetParent(parent, this.counters.current());
      return;
    }
    if (!HELPER_ACTIONS.has(rule.action) && rule.action !== 'Log') return;
    const now = Date.now();
    const number = this.active?.numbers.get(rule.id) ?? null;
    // URL probes (ping://, tcp://) are not requests that carry the event: they stay with events.
    const acting =
      ACTING_ACTIONS.has(rule.action) &&
      !(rule.action === 'URL' && !/^https?:\/\//i.test(rule.parameter.trim()));
    if (!acting) {
      // Alert, Notify, Log events, URL probes: at most one per rule per second.
      if (now - (this.lastAction.get(rule.id) ?? 0) < ACTION_RATE_MS) return;
      this.lastAction.set(rule.id, now);
    } else {
      // Actions that reach outside (mail, requests, scripts) take a token of the rule's bucket
      // and one of all rules' (actions.conf action-rate, action-rate-total): a flood must not
      // become a mail storm. What is dropped is counted (status) and reported (an alert event).
      if (!this.limiter.take(rule.id, now)) {
        this.unreported.set(rule.id, (this.unreported.get(rule.id) ?? 0) + 1);
        this.reportTimer ??= setTimeout(() => this.reportDropped(), DROP_REPORT_MS);
        return;
      }
      this.actionsRan++;
    }
    void runAction({ rule, number, reason, packet }, this.outbound, this.actionConfig).then(
      (event) => {
        if (!event) return;
        // What a probe, a request, a mail or a script found out goes only to the client that
        // applied these rules.
        if (event.kind !== 'alert' && event.kind !== 'notify') {
          const owner = this.owner;
          if (owner && this.clients.has(owner)) owner.send('notify:event', event);
          return;
        }
        this.broadcast('notify:event', event);
      },
    );
  }

  /** One event per rule for the acting actions the rate limit dropped since the last report. */
  private reportDropped(): void {
    this.reportTimer = undefined;
    if (this.closed) return;
    const ac = this.actionConfig;
    for (const [ruleId, n] of this.unreported) {
      const rule = this.active?.rules.get(ruleId);
      const number = this.active?.numbers.get(ruleId) ?? null;
      this.broadcast('notify:event', {
        time: new Date().toISOString(),
        kind: 'alert',
        ruleId,
        ruleNumber: number,
        title: `${rule?.action ?? 'Action'} rate limit`,
        body: `rule ${number ?? ruleId}: ${n} ${rule?.action ?? 'action'} action${n === 1 ? '' : 's'} not run (at most ${describeRate(ac.perRule)} per rule, ${describeRate(ac.total)} in all; ${this.limiter.droppedTotal} dropped since the helper started)`,
        ok: false,
      });
    }
    this.unreported.clear();
  }

  /* ---- events ----------------------------------------------------------------------------- */

  broadcast<E extends HelperEventName>(event: E, data: HelperEventData<E>): void {
    for (const c of this.clients) c.send(event, data);
  }

  private async broadcastState(known?: {
    present: boolean;
    matches: boolean;
  }): Promise<HelperStatusResult> {
    const status = await this.status(known);
    this.broadcast('helper:state', status);
    return status;
  }
}

/**
 * The kernel's time stamp, unless it is implausible: packets looped back through `lo` carry a
 * receive time stamp up to a second old. NFLOG delivers in batches (up to ~1 s late), so "now"
 * is only the fallback.
 */
function eventTime(kernelMs: number, now = Date.now()): number {
  return Math.abs(now - kernelMs) > 5000 ? now : kernelMs;
}

// "Holds": its kernel flag is set, so packets that reach the rule match it (DESIGN §3, timers).
const TIMER_NOTES: Record<string, string> = {
  'Idle seconds':
    'fires every N seconds (idle time since it last fired); holds until the next round',
  'Parent idle seconds':
    'fires once when the parent has counted no packet for N seconds; holds while it stays idle',
  'Parent match count':
    'fires once and holds while the parent has counted N packets since apply or Reset parent',
  'Parent byte count':
    'fires once and holds while the parent has counted N bytes since apply or Reset parent',
  'Parent match rate':
    "fires once and holds while the parent's rate over the last second reaches N",
};

function nftFault(error: unknown): unknown {
  return error instanceof NftError
    ? fault('nft-failed', `${error.message} (the previous rules are still in force)`)
    : error;
}

function invalidDocument(problems: Problem[]): HelperFault {
  const first = problems[0];
  const where = first ? (first.number ? `rule ${first.number}: ` : '') + first.message : 'invalid';
  return fault(
    'invalid-document',
    `the document does not compile (${problems.length} problem(s)); ${where}`,
    {
      field: 'params.document',
      problems,
    },
  );
}

/** The chain a prepared rollback's base chains jump to first (see prepareRollback). */
const GATE_CHAIN = 'gate';

/** Commands that remove table `name` if it exists (add, then delete: no error when absent). */
function dropTable(name: string): { [key: string]: Json }[] {
  const table = { family: 'inet', name };
  return [{ add: { table } }, { delete: { table } }];
}

/** The program with a closed gate in front of every base chain: loaded, it passes everything. */
function gated(program: NftProgram, table: string): NftProgram {
  const bases = program.baseChains.map((chain) => chain.name as string);
  return withCommands(program, [
    { add: { chain: { family: 'inet', table, name: GATE_CHAIN } } },
    { add: { rule: { family: 'inet', table, chain: GATE_CHAIN, expr: [{ accept: null }] } } },
    // insert: at the head of the chain, before the rules added above.
    ...bases.map((chain) => ({
      insert: {
        rule: { family: 'inet', table, chain, expr: [{ jump: { target: GATE_CHAIN } }] },
      },
    })),
  ]);
}

/** `promise`, or an AbortError as soon as `signal` fires (the promise itself runs on). */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
