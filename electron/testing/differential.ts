// Runtime: plain Node, tests only (root). One differential case, three ways: compile a document,
// load it into the DataPlane's firewall namespace, send packets for real, and compare what the
// kernel did (each packet's fate, every rule's counter) with what the reference evaluator
// predicts, and the evaluator with the table walk (shared/evaluator/table-walk.ts). Also shrinks
// a disagreeing case to a small one.
// Invariant: a case starts from a freshly replaced table (counters zero, triggered sets empty), so
// cases never see each other's state.

import { compile, readCounters } from '../../shared/compiler/index.ts';
import { formatPacket, type Packet } from '../../shared/evaluator/index.ts';
import { numberRules } from '../../shared/model/tree.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import type { DataPlane, ProbeFate } from './dataplane.ts';
import { predict, type Counts } from './oracle.ts';

export interface Disagreement {
  /** `oracles`: the evaluator and the table walk disagree (a bug in one of them, not the kernel). */
  kind: 'fate' | 'counter' | 'compile' | 'oracles';
  detail: string;
}

/** What a case exercised, so a run can show it tested something. */
export interface CaseStats {
  verdicts: Record<string, number>;
  replies: number;
  exitGroups: number;
  triggered: number;
  includeHits: number;
  logEvents: number;
  vmapRules: number;
  /** Rules that matched after a verdict was fixed (a terminating rule's side-effect walk). */
  afterVerdict: number;
  /** Rules passed over by a `++`. */
  skipped: number;
  /** Routed packets, and how many of them were tested on departure too. */
  routed: number;
  departures: number;
  /** Packets carrying IP or TCP options. */
  withOptions: number;
  /** Packets a Data content or URL keyword rule matched because it found its text (== / a=A),
   * and packets a content rule matched with != (the text not found). */
  contentFound: number;
  contentNotFound: number;
}

const STAT_COUNTS = [
  'replies',
  'exitGroups',
  'triggered',
  'includeHits',
  'logEvents',
  'vmapRules',
  'afterVerdict',
  'skipped',
  'routed',
  'departures',
  'withOptions',
  'contentFound',
  'contentNotFound',
] as const;

export function emptyStats(): CaseStats {
  const s = { verdicts: {} } as CaseStats;
  for (const k of STAT_COUNTS) s[k] = 0;
  return s;
}

export function addStats(total: CaseStats, s: CaseStats): void {
  for (const [k, v] of Object.entries(s.verdicts)) total.verdicts[k] = (total.verdicts[k] ?? 0) + v;
  for (const k of STAT_COUNTS) total[k] += s[k];
}

export interface CaseResult {
  disagreements: Disagreement[];
  stats: CaseStats;
  /** Compile refused the document (the message), so nothing was sent. */
  refused?: string;
  packets: number;
}

/** The document's counters in the kernel, by rule id (rules absent from the listing count 0). */
async function kernelCounters(
  dp: DataPlane,
  objects: Parameters<typeof readCounters>[1],
): Promise<Record<string, Counts>> {
  const listing = await dp.fw.nftJson(['list', 'table', 'inet', 'treewall']);
  return readCounters(listing, objects);
}

export async function runCase(
  dp: DataPlane,
  doc: FirewallDocument,
  packets: readonly Packet[],
): Promise<CaseResult> {
  const compiled = compile(doc);
  if (!compiled.ok) {
    return {
      disagreements: [],
      stats: emptyStats(),
      refused: compiled.problems.map((p) => `rule ${p.number}: ${p.message}`).join('; '),
      packets: 0,
    };
  }
  await dp.fw.loadNft(compiled.nft);
  const fates = await dp.send(packets);
  const kernel = await kernelCounters(dp, compiled.objects);
  const expected = predict(doc, packets);
  const numbers = numberRules(doc.rules);
  const disagreements: Disagreement[] = expected.oracleDisagreements.map((detail) => ({
    kind: 'oracles' as const,
    detail,
  }));
  fates.forEach((fate: ProbeFate, i) => {
    const want = expected.packets[i]!;
    if (fate.delivered !== want.delivered || fate.replied !== want.replied) {
      const path = want.evaluation.matched.map((id) => numbers.get(id) ?? id).join(' ');
      disagreements.push({
        kind: 'fate',
        detail: `packet ${i + 1} "${formatPacket(packets[i]!)}": kernel delivered=${fate.delivered} replied=${fate.replied}, evaluator delivered=${want.delivered} replied=${want.replied} (verdict ${want.evaluation.verdict}, matched ${path || 'nothing'})`,
      });
    }
  });
  const ids = new Set([...Object.keys(compiled.objects), ...Object.keys(expected.counters)]);
  for (const id of ids) {
    const k = kernel[id] ?? { packets: 0, bytes: 0 };
    const e = expected.counters[id] ?? { packets: 0, bytes: 0 };
    if (k.packets !== e.packets || k.bytes !== e.bytes) {
      disagreements.push({
        kind: 'counter',
        detail: `rule ${numbers.get(id) ?? id}: kernel ${k.packets} packets/${k.bytes} bytes, evaluator ${e.packets}/${e.bytes}`,
      });
    }
  }
  const stats = emptyStats();
  const content = new Map(
    allRules(doc.rules)
      .filter((r) => r.property === 'Data content' || r.property === 'URL keyword')
      .map((r) => [r.id, r.relation === '!='] as const),
  );
  expected.packets.forEach((p, i) => {
    const hits = p.evaluation.matched.filter((id) => content.has(id));
    if (hits.some((id) => !content.get(id))) stats.contentFound++;
    if (hits.some((id) => content.get(id))) stats.contentNotFound++;
    const v = p.evaluation.verdict;
    stats.verdicts[v] = (stats.verdicts[v] ?? 0) + 1;
    if (p.replied) stats.replies++;
    const sent = packets[i]!;
    if (sent.routed) stats.routed++;
    if ((p.evaluation.passes?.length ?? 0) > 1) stats.departures++;
    if (sent.ipOptions.length || sent.tcpOptions?.length) stats.withOptions++;
    for (const e of [p.evaluation, ...p.replies.map((r) => r.evaluation)]) {
      stats.exitGroups += e.actions.filter((a) => a.action === 'Exit group').length;
      stats.triggered += e.stateChanges.triggered.length;
      stats.includeHits += e.stateChanges.refreshed.length;
      stats.logEvents += e.logEvents.length;
      stats.afterVerdict += e.steps.filter((s) => s.afterVerdict && s.kind === 'match').length;
      stats.skipped += e.steps.filter((s) => s.kind === 'skipped').length;
    }
  });
  stats.vmapRules = Object.values(compiled.objects).filter((o) => o.elements?.length).length;
  return { disagreements, stats, packets: packets.length };
}

/**
 * The same comparison packet by packet: one load, then each packet sent alone and the counters
 * read after it, so every packet's own counter increments (its matches and its replies') are
 * checked, not only the case's totals. Slower (a send and a read per packet).
 */
export async function runCasePerPacket(
  dp: DataPlane,
  doc: FirewallDocument,
  packets: readonly Packet[],
): Promise<Disagreement[]> {
  const compiled = compile(doc);
  if (!compiled.ok)
    return [{ kind: 'compile', detail: compiled.problems.map((p) => p.message).join('; ') }];
  await dp.fw.loadNft(compiled.nft);
  const expected = predict(doc, packets);
  const numbers = numberRules(doc.rules);
  const disagreements: Disagreement[] = [];
  let before: Record<string, Counts> = {};
  for (let i = 0; i < packets.length; i++) {
    const [fate] = await dp.send([packets[i]!]);
    const after = await kernelCounters(dp, compiled.objects);
    const want = expected.packets[i]!;
    if (fate?.delivered !== want.delivered || fate?.replied !== want.replied) {
      disagreements.push({
        kind: 'fate',
        detail: `packet ${i + 1} "${formatPacket(packets[i]!)}": kernel ${JSON.stringify(fate)}, evaluator delivered=${want.delivered} replied=${want.replied}`,
      });
    }
    const increments: Record<string, Counts> = {};
    for (const { evaluation, packet } of [
      { evaluation: want.evaluation, packet: packets[i]! },
      ...want.replies,
    ]) {
      for (const id of evaluation.matched) {
        const c = (increments[id] ??= { packets: 0, bytes: 0 });
        c.packets += 1;
        c.bytes += packet.length;
      }
    }
    for (const id of new Set([...Object.keys(after), ...Object.keys(increments)])) {
      const k = {
        packets: (after[id]?.packets ?? 0) - (before[id]?.packets ?? 0),
        bytes: (after[id]?.bytes ?? 0) - (before[id]?.bytes ?? 0),
      };
      const e = increments[id] ?? { packets: 0, bytes: 0 };
      if (k.packets !== e.packets || k.bytes !== e.bytes) {
        disagreements.push({
          kind: 'counter',
          detail: `packet ${i + 1} "${formatPacket(packets[i]!)}": rule ${numbers.get(id) ?? id} +${k.packets}/${k.bytes} in the kernel, +${e.packets}/${e.bytes} by the evaluator`,
        });
      }
    }
    before = after;
  }
  return disagreements;
}

/* Shrinking */

function withoutRule(rules: Rule[], target: Rule): Rule[] {
  return rules
    .filter((r) => r !== target)
    .map((r) => (r.children.length ? { ...r, children: withoutRule(r.children, target) } : r));
}

function hoist(rules: Rule[], target: Rule): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    if (r === target) out.push(...r.children);
    else out.push(r.children.length ? { ...r, children: hoist(r.children, target) } : r);
  }
  return out;
}

function allRules(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => [r, ...allRules(r.children)]);
}

/**
 * Greedy shrink: drop packets, then rules (whole subtrees, then a rule replaced by its children),
 * keeping each change that still disagrees. Bounded by `budget` kernel runs.
 */
export async function shrink(
  dp: DataPlane,
  doc: FirewallDocument,
  packets: readonly Packet[],
  budget = 400,
): Promise<{ doc: FirewallDocument; packets: Packet[]; result: CaseResult }> {
  let runs = 0;
  let bestDoc = doc;
  let bestPackets = [...packets];
  let best = await runCase(dp, bestDoc, bestPackets);
  const still = async (d: FirewallDocument, p: Packet[]): Promise<CaseResult | undefined> => {
    if (runs++ >= budget) return undefined;
    const r = await runCase(dp, d, p);
    return r.disagreements.length > 0 ? r : undefined;
  };
  let progress = true;
  while (progress && runs < budget) {
    progress = false;
    for (let i = bestPackets.length - 1; i >= 0 && bestPackets.length > 1; i--) {
      const fewer = bestPackets.filter((_, j) => j !== i);
      const r = await still(bestDoc, fewer);
      if (r) {
        bestPackets = fewer;
        best = r;
        progress = true;
      }
    }
    for (const edit of [withoutRule, hoist]) {
      for (const rule of allRules(bestDoc.rules).reverse()) {
        if (edit === hoist && rule.children.length === 0) continue;
        const smaller = { ...bestDoc, rules: edit(bestDoc.rules, rule) };
        if (
          allRules(smaller.rules).length === allRules(bestDoc.rules).length &&
          edit === withoutRule
        )
          continue;
        const r = await still(smaller, bestPackets);
        if (r) {
          bestDoc = smaller;
          best = r;
          progress = true;
        }
      }
    }
  }
  return { doc: bestDoc, packets: bestPackets, result: best };
}

/** A readable outline: one rule a line, indented, with number, enabled mark, test and action. */
export function describeDocument(doc: FirewallDocument): string {
  const numbers = numberRules(doc.rules);
  const lines = [
    `defaultPolicy=${doc.settings.defaultPolicy} external=${doc.settings.externalInterfaces.join(',')}`,
  ];
  const go = (rules: Rule[], depth: number): void => {
    for (const r of rules) {
      const param = r.parameter ? ` ${r.parameter}` : '';
      lines.push(
        `${'  '.repeat(depth)}${numbers.get(r.id)} ${r.enabled ? '[x]' : '[ ]'} ${r.property} ${r.relation} ${r.value} -> ${r.action}${param}   (${r.id})`,
      );
      go(r.children, depth + 1);
    }
  };
  go(doc.rules, 0);
  return lines.join('\n');
}
