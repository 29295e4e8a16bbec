// Runtime: pure (shared/). The reference evaluator: a packet and a rule tree -> the verdict and the
// path taken, exactly as DESIGN §3 says (IPNetSentryX's own semantics). It is the oracle the
// kernel is tested against, and what the simulator and `treewall simulate` show. It walks the tree
// recursively; `table-walk.ts` is a second, independent oracle that walks the flattened table.
// Invariant: evaluate() never mutates its inputs; the same document, packet and state always give
// the same result (the next state is returned, not written).

import type { FirewallDocument, Rule } from '../model/types.ts';
import type { ActionName } from '../model/vocabulary.ts';
import type { IncludeTable } from '../model/values.ts';
import { rateLimitShapes } from '../model/rate-limit.ts';
import { HELPER_ACTIONS, LOGGED_ACTIONS } from '../model/vocabulary-table.ts';
import { condition } from './conditions.ts';
import { arrivalTranslation } from './nat.ts';
import type { Packet } from './packet.ts';
import {
  closeState,
  countMatch,
  createState,
  delivers,
  flowKey,
  openState,
  recordAddress,
  ruleParameter,
  takeTokens,
  TERMINATING_VERDICTS,
  type EvaluateOptions,
  type EvaluatorState,
  type Scratch,
  type TableChange,
  type Verdict,
} from './state.ts';

export * from './packet.ts';
export * from './state.ts';
export { TIMER_PROPERTIES } from './conditions.ts';

/* Types */

export interface ActionRun {
  ruleId: string;
  action: ActionName;
}

/** What a matched rule did to the walk, beyond running its action. */
export type StepEffect =
  /** Fixed the packet's verdict; its children are then walked for side effects only. */
  | 'verdict'
  /** Exit group: left the nearest enclosing Group's subtree (or the top level). */
  | 'exit group'
  /** `++`: the next rule in outline order is skipped with its subtree. */
  | 'skip next'
  /** A terminating action met after the verdict was fixed: it ends the side-effect walk and
   * changes nothing (a Trigger still records its address). */
  | 'ends side effects';

/** One rule the walk reached, in order. */
export interface Step {
  ruleId: string;
  /** `skipped`: passed over by a `++` without being tested. */
  kind: 'match' | 'miss' | 'skipped';
  /** Tested after the verdict was fixed (a terminating rule's side-effect walk). */
  afterVerdict: boolean;
  effect?: StepEffect;
  /** For a routed packet: tested on arrival (inbound) or on departure (outbound). */
  pass?: 'arrival' | 'departure';
}

/** One test of a routed packet (DESIGN §3.9). */
export interface PassResult {
  pass: 'arrival' | 'departure';
  direction: 'inbound' | 'outbound';
  interface?: string;
  verdict: Verdict;
  verdictRuleId?: string;
}

export interface Evaluation {
  verdict: Verdict;
  /** The rule whose action decided; absent when the default policy did. */
  verdictRuleId?: string;
  /** The action that decided (Trigger and Delete no log give verdict 'delete'). */
  verdictAction?: ActionName;
  /** Enabled rules whose condition was tested, in order (both passes of a routed packet). */
  tested: string[];
  /**
   * Rules whose condition was true, in order: exactly the counters that count this packet,
   * including the side-effect walk after a verdict; a rule matched in both passes of a routed
   * packet appears twice (it counts twice).
   */
  matched: string[];
  /** The path: every rule reached, with what it did (the simulator shows this). */
  steps: Step[];
  /** For a routed packet: the arrival test and, if the packet passed it, the departure test. */
  passes?: PassResult[];
  /** Actions that ran, in order: non-terminating ones, the deciding one when its rule matched
   * (before its children's side effects), a Trigger that recorded after the verdict. */
  actions: ActionRun[];
  /** At least one NFLOG event is emitted for this packet (DESIGN §3.6). */
  logged: boolean;
  /** The rule id the verdict's log line carries, or else the last Log rule's. */
  logRuleId?: string;
  /**
   * Every NFLOG event in order, by rule id: Log (and the helper's event actions: Alert, Notify,
   * Email, URL, Webhook, Script, Reset parent) log when their rule matches; a logged verdict logs
   * after its rule's side-effect walk.
   */
  logEvents: string[];
  stateChanges: {
    /** Addresses recorded by Trigger / Authorize / Keep address. */
    triggered: TableChange[];
    /** Entries whose expiry an `Include == ...` test pushed back. */
    refreshed: TableChange[];
  };
  /** The state after this packet. */
  state: EvaluatorState;
  /** Rules that could not be evaluated (a value or parameter that does not parse); never matched. */
  problems: { ruleId: string; message: string }[];
  /**
   * A Port forward translated the packet on arrival, before the filter walk: where it goes. The
   * verdict is then `pass` by that rule (its flow passes without the walk).
   */
  translated?: { dst: string; dstPort?: number };
}

/** Actions the helper performs on an NFLOG event sent when their rule matches. */
const EVENT_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(['Log', ...HELPER_ACTIONS]);
/** Event actions that report the packet: under a terminating rule they stand for its log line. */
const REPORTING_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>([
  'Alert',
  'Email',
  'URL',
  'Notify',
  'Webhook',
  'Script',
]);
/** Actions that record the packet's source address in a table, then go on. */
const RECORDING_ACTIONS: Readonly<
  Partial<Record<ActionName, 'authorized' | 'address' | 'invalid'>>
> = {
  Authorize: 'authorized',
  'Keep address': 'address',
  'Keep invalid': 'invalid',
};

/* The walk (DESIGN §3) */

/** How a list of rules ended: `go` on with what follows, `exit` an Exit group looking for its
 * Group, `stop` the walk is over. */
type Flow = 'go' | 'exit' | 'stop';

interface Walk extends Scratch {
  tested: string[];
  matched: string[];
  steps: Step[];
  actions: ActionRun[];
  logEvents: string[];
  lastLogRuleId?: string;
  /** A Dont log ran, or a reporting action under the terminating rule: the verdict stays silent. */
  dontLog: boolean;
  /** The verdict, once a terminating rule fixed it. */
  decided?: { verdict: Verdict; ruleId: string; action: ActionName };
  /** A `++` matched: the next rule reached is skipped with its subtree. */
  skipNext: boolean;
  pass?: 'arrival' | 'departure';
}

function step(w: Walk, ruleId: string, kind: Step['kind'], effect?: StepEffect): void {
  const s: Step = { ruleId, kind, afterVerdict: w.decided !== undefined };
  if (effect) s.effect = effect;
  if (w.pass) s.pass = w.pass;
  w.steps.push(s);
}

function walkList(w: Walk, rules: readonly Rule[], parent: Rule | undefined): Flow {
  for (const rule of rules) {
    if (w.skipNext) {
      // §3.4 `++`: this rule is the next in outline order; it and its subtree are passed over.
      w.skipNext = false;
      if (rule.enabled) step(w, rule.id, 'skipped');
      continue;
    }
    if (!rule.enabled) continue; // §3.2: skipped with its whole subtree
    // Port forward translates on arrival, before the walk (nat.ts): in the walk it never matches.
    if (rule.action === 'Port forward') continue;
    w.tested.push(rule.id);
    if (!condition(w, rule, parent)) {
      step(w, rule.id, 'miss'); // §3.3
      continue;
    }
    w.matched.push(rule.id); // §3.4: its counters count the packet
    countMatch(w, rule);
    const flow = act(w, rule, parent);
    // §3.4 Exit group: the nearest enclosing Group ends; the walk goes on after its subtree.
    if (flow === 'exit' && rule.action === 'Group') continue;
    if (flow !== 'go') return flow;
  }
  return 'go';
}

/** A matched rule's action, then (unless it ends things) its children. */
function act(w: Walk, rule: Rule, parent: Rule | undefined): Flow {
  const afterVerdict = w.decided !== undefined;
  const verdict = TERMINATING_VERDICTS[rule.action];
  if (verdict !== undefined) {
    if (rule.action === 'Trigger') recordAddress(w, 'triggered', rule);
    if (afterVerdict) {
      // The verdict is already fixed: this ends the side-effect walk and changes nothing.
      step(w, rule.id, 'match', 'ends side effects');
      if (rule.action === 'Trigger') w.actions.push({ ruleId: rule.id, action: rule.action });
      return 'stop';
    }
    // Delay holds only arriving packets; one the host sends passes at once (kftDelay.c).
    if (rule.action === 'Delay' && w.packet.direction !== 'inbound') return decide(w, rule, 'pass');
    return decide(w, rule, verdict);
  }
  if (rule.action === 'Exit group') {
    step(w, rule.id, 'match', 'exit group');
    w.actions.push({ ruleId: rule.id, action: rule.action });
    return 'exit';
  }
  if (rule.action === 'Rate limit in' || rule.action === 'Rate limit out') {
    // Polices its direction at match time: over the rate is a delete verdict (fixed like any
    // other); within it the walk goes on. After a verdict it does nothing.
    if (!afterVerdict && overRate(w, rule)) return decide(w, rule, 'delete');
    step(w, rule.id, 'match');
    return walkList(w, rule.children, rule);
  }
  step(w, rule.id, 'match', rule.action === '++' ? 'skip next' : undefined);
  runEffect(w, rule, parent, afterVerdict);
  if (rule.action === '++') w.skipNext = true; // the next rule: its first child, or what follows
  return walkList(w, rule.children, rule);
}

/** §3.4: a terminating action fixes the verdict first, then its children run for side effects. */
function decide(w: Walk, rule: Rule, verdict: Verdict): Flow {
  step(w, rule.id, 'match', 'verdict');
  w.decided = { verdict, ruleId: rule.id, action: rule.action };
  w.actions.push({ ruleId: rule.id, action: rule.action });
  // Route to and Delay end the walk at once: IPNetSentryX sends the packet on (or holds it) and
  // never walks their children (kft.c `KFT_filterAction` kActionRouteTo, `KFT_tableAction`
  // kActionDelay); the compiler refuses children there.
  if (rule.action !== 'Route to' && rule.action !== 'Delay') walkList(w, rule.children, rule); // until a terminating child or an Exit group
  w.skipNext = false;
  // §3.6: logged unless a Dont log ran or an event action under this rule already reported it.
  if (LOGGED_ACTIONS.has(rule.action) && !w.dontLog) w.logEvents.push(rule.id);
  return 'stop';
}

function overRate(w: Walk, rule: Rule): boolean {
  const wanted = rule.action === 'Rate limit in' ? 'inbound' : 'outbound';
  const parameter = ruleParameter(rule);
  if (w.packet.direction !== wanted || !parameter.ok || parameter.value.kind !== 'rate')
    return false;
  // A shaping Rate limit out delays packets on the leaving interface, never deletes one.
  if (rateLimitShapes(rule.action, parameter.value)) return false;
  const rate = parameter.value.rate;
  const key = rate.perSource ? `${rule.id}|${w.packet.src}` : rule.id;
  return !takeTokens(w, key, rate, rate.unit === 'bytes' ? w.packet.length : 1);
}

/** Non-terminating actions run at once when their rule matches (§3.4). */
function runEffect(w: Walk, rule: Rule, parent: Rule | undefined, afterVerdict: boolean): void {
  // A timer rule's helper action runs from the helper's timer, not once per packet.
  const byTimer =
    (rule.property === 'Idle seconds' ||
      rule.property === 'Parent idle seconds' ||
      rule.property === 'Parent match rate') &&
    rule.action !== 'Log';
  if (EVENT_ACTIONS.has(rule.action) && !byTimer) {
    w.logEvents.push(rule.id);
    if (rule.action === 'Log') w.lastLogRuleId = rule.id;
    // §3.6: under the terminating rule it already reported the packet.
    if (afterVerdict && REPORTING_ACTIONS.has(rule.action)) w.dontLog = true;
  }
  const table = RECORDING_ACTIONS[rule.action];
  if (table) recordAddress(w, table, rule);
  switch (rule.action) {
    case '->':
    case 'Group':
    case '++':
      return;
    case 'Dont log':
      w.dontLog = true;
      break;
    case 'Reset parent':
      if (parent) {
        // The parent's count starts again (and, under an Include parent, the host's).
        const c = w.counts[parent.id];
        if (c) w.counts[parent.id] = { packets: 0, bytes: 0 };
        const hit = w.includeHits.get(parent.id);
        if (hit) hit.count = 0;
      }
      break;
    default:
      break;
  }
  w.actions.push({ ruleId: rule.id, action: rule.action });
}

/** One walk of the tree for one packet in one direction. */
function walkOnce(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState,
  options: EvaluateOptions,
  pass?: 'arrival' | 'departure',
): Evaluation {
  const w: Walk = {
    ...openState(doc, packet, state, options),
    tested: [],
    matched: [],
    steps: [],
    actions: [],
    logEvents: [],
    dontLog: false,
    skipNext: false,
  };
  if (pass) w.pass = pass;
  // An Exit group with no Group above it ends the top level: §3.5 decides.
  walkList(w, doc.rules, undefined);
  const decided = w.decided;
  const verdict: Verdict =
    decided?.verdict ?? (doc.settings.defaultPolicy === 'delete' ? 'delete' : 'pass');
  // The connection table learns the flow of a packet that passed (DESIGN §3.7).
  if (delivers(verdict)) w.connections[flowKey(packet)] = true;
  // The default policy is the base chains' policy: it decides without a rule, so nothing logs it.
  const logged = w.logEvents.length > 0;
  const result: Evaluation = {
    verdict,
    tested: w.tested,
    matched: w.matched,
    steps: w.steps,
    actions: w.actions,
    logged,
    logEvents: w.logEvents,
    stateChanges: { triggered: w.triggered, refreshed: w.refreshed },
    state: closeState(w, state),
    problems: w.problems,
  };
  if (decided) {
    result.verdictRuleId = decided.ruleId;
    result.verdictAction = decided.action;
  }
  if (logged) {
    const verdictLogged =
      decided !== undefined &&
      w.logEvents.includes(decided.ruleId) &&
      LOGGED_ACTIONS.has(decided.action);
    const logRuleId = verdictLogged
      ? decided.ruleId
      : (w.lastLogRuleId ?? w.logEvents[w.logEvents.length - 1]);
    if (logRuleId !== undefined) result.logRuleId = logRuleId;
  }
  return result;
}

/** The two tests of a routed packet: as it arrives (inbound, arrival interface). */
export function arrivalOf(p: Packet): Packet {
  const a: Packet = { ...p, direction: 'inbound' };
  delete a.routed;
  return a;
}

/** ... and as it leaves (outbound, leaving interface). */
export function departureOf(p: Packet): Packet {
  const d: Packet = { ...p, direction: 'outbound' };
  delete d.routed;
  return d;
}

const passResult = (pass: PassResult['pass'], p: Packet, e: Evaluation): PassResult => {
  const r: PassResult = { pass, direction: p.direction, verdict: e.verdict };
  const iface = p.direction === 'inbound' ? p.inInterface : p.outInterface;
  if (iface !== undefined) r.interface = iface;
  if (e.verdictRuleId !== undefined) r.verdictRuleId = e.verdictRuleId;
  return r;
};

/**
 * Judge one packet. `state.now` is the packet's time on the table clock (seconds); callers move
 * it with `advance()` or by passing a state with a later `now`. A routed packet (`routed`, with
 * both interfaces) is tested twice (DESIGN §3.9): inbound on arrival and, if it passed,
 * outbound on departure; the result joins both (counters count in both).
 */
/**
 * Port forward, before the walk: a packet arriving (inbound, or a routed one's arrival) that a
 * Port forward rule's path matches is translated and passes by that rule, without the walk.
 */
function forwarded(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState,
  options: EvaluateOptions,
): Evaluation | undefined {
  const arriving = packet.routed ? arrivalOf(packet) : packet;
  if (arriving.direction !== 'inbound') return undefined;
  // The arrival stage changes nothing but the translating rule's count and the flow: its tests
  // read a scratch copy that is dropped (the compiler refuses tests with state on a path).
  const t = arrivalTranslation(doc, openState(doc, arriving, state, options), condition);
  if (!t) return undefined;
  const s = openState(doc, arriving, state, options);
  const id = t.rule.id;
  countMatch(s, t.rule);
  // The flow is tracked (and translated) from here on, both ways.
  s.connections[flowKey(arriving)] = true;
  const step: Step = { ruleId: id, kind: 'match', afterVerdict: false, effect: 'verdict' };
  if (packet.routed) step.pass = 'arrival';
  const result: Evaluation = {
    verdict: 'pass',
    verdictRuleId: id,
    verdictAction: 'Port forward',
    tested: [id],
    matched: [id],
    steps: [step],
    actions: [{ ruleId: id, action: 'Port forward' }],
    logged: false,
    logEvents: [],
    stateChanges: { triggered: [], refreshed: [] },
    state: closeState(s, state),
    problems: s.problems,
    translated: t.dstPort !== undefined ? { dst: t.dst, dstPort: t.dstPort } : { dst: t.dst },
  };
  if (packet.routed) {
    result.passes = [
      {
        pass: 'arrival',
        direction: 'inbound',
        verdict: 'pass',
        verdictRuleId: id,
        ...(arriving.inInterface !== undefined ? { interface: arriving.inInterface } : {}),
      },
    ];
  }
  return result;
}

export function evaluate(
  doc: FirewallDocument,
  packet: Packet,
  state: EvaluatorState = createState(),
  options: EvaluateOptions = {},
): Evaluation {
  const translated = forwarded(doc, packet, state, options);
  if (translated) return translated;
  if (!packet.routed) return walkOnce(doc, packet, state, options);
  const arrival = arrivalOf(packet);
  const first = walkOnce(doc, arrival, state, options, 'arrival');
  const passes = [passResult('arrival', arrival, first)];
  if (first.verdict !== 'pass' && first.verdict !== 'delay') return { ...first, passes };
  const departure = departureOf(packet);
  const second = walkOnce(doc, departure, first.state, options, 'departure');
  passes.push(passResult('departure', departure, second));
  const joined: Evaluation = {
    ...second,
    tested: [...first.tested, ...second.tested],
    matched: [...first.matched, ...second.matched],
    steps: [...first.steps, ...second.steps],
    passes,
    actions: [...first.actions, ...second.actions],
    logged: first.logged || second.logged,
    logEvents: [...first.logEvents, ...second.logEvents],
    stateChanges: {
      triggered: [...first.stateChanges.triggered, ...second.stateChanges.triggered],
      refreshed: [...first.stateChanges.refreshed, ...second.stateChanges.refreshed],
    },
    problems: [...first.problems, ...second.problems],
  };
  const logRuleId = second.logRuleId ?? first.logRuleId;
  if (logRuleId !== undefined) joined.logRuleId = logRuleId;
  return joined;
}

/** The table an `Include` value names, for display. */
export type { IncludeTable };
