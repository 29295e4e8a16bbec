// Runtime: plain Node, as root. Timer rules (DESIGN §3, last paragraph): rules whose condition is
// not about a packet — Idle seconds, Parent idle seconds, Parent match count, Parent byte count,
// Parent match rate — evaluated once a second from the counters the helper already reads.
// Semantics (documented in README.md):
// - `Idle seconds REL N`: seconds since this rule last fired (counted from the apply). When it
//   holds the rule fires and its idle time goes back to 0, so `>= 60` fires every 60 s.
// - `Parent ...`: the parent rule's kernel counter: idle seconds since its count last rose, its
//   packets / bytes since apply or since a `Reset parent`, its packets per second. These fire
//   once when the test becomes true and re-arm when it becomes false (no alert storms).
// - Firing runs the rule's helper action (URL probe, Notify, Alert, Webhook, Reset parent) and
//   then its children: timer children are tested, `Any` children fire, packet tests are skipped
//   (there is no packet).
// - Each rule's test result is also a level, its flag: `onFlag(ruleId, holds)` when it changes.
//   The service mirrors it into the kernel (set `hf`), where the compiled rule tests it, so a
//   timer rule with a packet verdict (the ping-flood limit: `Parent match count >= 50` ->
//   Delete) acts on the packets that arrive while it holds.
// Invariant: evaluation is pure bookkeeping plus calls to `fire` / `onFlag`; it never touches
// the kernel itself.

import { parseValue } from '../../shared/model/values.ts';
import type { Rule } from '../../shared/model/types.ts';
import type { Totals } from './counters.ts';

const TIMER_PROPERTIES = new Set([
  'Idle seconds',
  'Parent idle seconds',
  'Parent match count',
  'Parent byte count',
  'Parent match rate',
]);

export const isTimerRule = (r: Rule): boolean => TIMER_PROPERTIES.has(r.property);

interface Entry {
  rule: Rule;
  parent: Rule | null;
  number: string;
  /** Directly under another timer rule: tested only when that one fires. */
  underTimer: boolean;
}

export interface TimerFire {
  rule: Rule;
  /** Its parent in the outline (what `Reset parent` resets). */
  parent: Rule | null;
  number: string;
  reason: string;
}

export class TimerRules {
  private entries: Entry[] = [];
  private byId = new Map<string, Entry>();
  private lastFired = new Map<string, number>();
  private armed = new Map<string, boolean>();
  /** Parent counter values at apply / Reset parent. */
  private parentBase = new Map<string, { packets: number; bytes: number; at: number }>();
  private prevPackets = new Map<string, { packets: number; bytes: number; at: number }>();
  /** Rules whose test held at their last evaluation (all false after reset: `hf` is empty). */
  private readonly holding = new Set<string>();

  constructor(
    private readonly fire: (f: TimerFire) => void,
    private readonly onFlag: (ruleId: string, holds: boolean) => void = () => undefined,
  ) {}

  /** Rule ids whose condition holds now (their kernel flag is set). */
  get flags(): string[] {
    return [...this.holding];
  }

  /** Index the active document's effectively enabled timer rules. */
  reset(rules: Rule[], numbers: Map<string, string>, now = Date.now()): void {
    this.entries = [];
    this.byId.clear();
    this.lastFired.clear();
    this.armed.clear();
    this.parentBase.clear();
    this.prevPackets.clear();
    this.holding.clear();
    const walk = (list: Rule[], parent: Rule | null): void => {
      for (const r of list) {
        if (!r.enabled) continue;
        if (isTimerRule(r)) {
          const e: Entry = {
            rule: r,
            parent,
            number: numbers.get(r.id) ?? r.id,
            underTimer: parent !== null && isTimerRule(parent),
          };
          this.entries.push(e);
          this.byId.set(r.id, e);
          this.lastFired.set(r.id, now);
        }
        walk(r.children, r);
      }
    };
    walk(rules, null);
  }

  get rules(): { ruleId: string; number: string; property: string }[] {
    return this.entries.map((e) => ({
      ruleId: e.rule.id,
      number: e.number,
      property: e.rule.property,
    }));
  }

  /** `Reset parent` fired by `child`: the parent's count and idle time start again. */
  resetParent(parent: Rule | null, totals: Totals, now = Date.now()): void {
    if (!parent) return;
    const t = totals[parent.id] ?? { packets: 0, bytes: 0 };
    this.parentBase.set(parent.id, { packets: t.packets, bytes: t.bytes, at: now });
    this.lastFired.set(parent.id, now);
  }

  /** One evaluation round. `lastChange`: when each rule's counter last rose. */
  tick(totals: Totals, lastChange: Map<string, number>, now = Date.now()): void {
    for (const e of this.entries) if (!e.underTimer) this.test(e, totals, lastChange, now);
    for (const [id, t] of Object.entries(totals))
      this.prevPackets.set(id, { packets: t.packets, bytes: t.bytes, at: now });
  }

  private test(e: Entry, totals: Totals, lastChange: Map<string, number>, now: number): void {
    const metric = this.metric(e, totals, lastChange, now);
    const holds = metric !== undefined && compare(e.rule, metric);
    this.setFlag(e.rule.id, holds);
    if (metric === undefined) return;
    const edge = e.rule.property !== 'Idle seconds';
    if (!holds) {
      this.armed.set(e.rule.id, true);
      return;
    }
    if (edge && this.armed.get(e.rule.id) === false) return;
    this.armed.set(e.rule.id, false);
    this.lastFired.set(e.rule.id, now);
    this.fireTree(
      e.rule,
      e.parent,
      e.number,
      `${e.rule.property} ${e.rule.relation} ${e.rule.value} (now ${Math.round(metric)})`,
      totals,
      lastChange,
      now,
    );
  }

  private setFlag(ruleId: string, holds: boolean): void {
    if (holds === this.holding.has(ruleId)) return;
    if (holds) this.holding.add(ruleId);
    else this.holding.delete(ruleId);
    this.onFlag(ruleId, holds);
  }

  private fireTree(
    rule: Rule,
    parent: Rule | null,
    number: string,
    reason: string,
    totals: Totals,
    lastChange: Map<string, number>,
    now: number,
  ): void {
    this.fire({ rule, parent, number, reason });
    rule.children.forEach((child, i) => {
      if (!child.enabled) return;
      const entry = this.byId.get(child.id);
      if (entry) this.test(entry, totals, lastChange, now);
      else if (child.property === 'Any' && child.relation === '==') {
        this.fireTree(child, rule, `${number}.${i + 1}`, reason, totals, lastChange, now);
      }
    });
  }

  private metric(
    e: Entry,
    totals: Totals,
    lastChange: Map<string, number>,
    now: number,
  ): number | undefined {
    if (e.rule.property === 'Idle seconds')
      return (now - (this.lastFired.get(e.rule.id) ?? now)) / 1000;
    const parent = e.parent;
    if (!parent) return undefined;
    const t = totals[parent.id] ?? { packets: 0, bytes: 0 };
    const base = this.parentBase.get(parent.id);
    switch (e.rule.property) {
      case 'Parent idle seconds': {
        const since = Math.max(
          lastChange.get(parent.id) ?? 0,
          base?.at ?? 0,
          this.lastFired.get(parent.id) ?? 0,
        );
        return since === 0 ? undefined : (now - since) / 1000;
      }
      case 'Parent match count':
        return t.packets - (base?.packets ?? 0);
      case 'Parent byte count':
        return t.bytes - (base?.bytes ?? 0);
      case 'Parent match rate': {
        // Per second over the last tick, in the unit the value names (packets or bytes); the
        // value's threshold is converted to the same per-second unit by compare().
        const prev = this.prevPackets.get(parent.id);
        if (!prev || now <= prev.at) return undefined;
        const perSecond = 1000 / (now - prev.at);
        const parsed = parseValue(e.rule.property, e.rule.value);
        const bytes =
          parsed.ok && parsed.value.kind === 'rate' && parsed.value.rate.unit === 'bytes';
        return (bytes ? t.bytes - prev.bytes : t.packets - prev.packets) * perSecond;
      }
      default:
        return undefined;
    }
  }
}

function compare(rule: Rule, metric: number): boolean {
  const parsed = parseValue(rule.property, rule.value);
  if (!parsed.ok) return false;
  let min: number;
  let max: number;
  if (parsed.value.kind === 'range') ({ min, max } = parsed.value.range);
  else if (parsed.value.kind === 'rate')
    min = max = parsed.value.rate.amount / parsed.value.rate.perSeconds;
  else return false;
  switch (rule.relation) {
    case '>=':
      return metric >= min;
    case '<=':
      return metric <= max;
    case '!=':
      return metric < min || metric > max;
    default:
      return metric >= min && metric <= max;
  }
}
