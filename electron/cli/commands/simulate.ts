// Runtime: plain Node (CLI). `treewall simulate FILE --packet '...'`: runs the reference evaluator
// (shared/evaluator) over a document and prints the verdict and the path taken. Invariant: it
// never touches the kernel; several --packet options are judged in order, sharing one state, so
// a Trigger by the first shows up in the second.

import {
  evaluate,
  createState,
  advance,
  formatPacket,
  parsePacketSpec,
} from '../../../shared/evaluator/index.ts';
import type { Evaluation, Packet } from '../../../shared/evaluator/index.ts';
import type { FirewallDocument, Rule } from '../../../shared/model/types.ts';
import { numberRules, walk } from '../../../shared/model/tree.ts';
import { readDocumentFile } from '../../common/document-files.ts';

export const summary = 'Run packets through a document with the reference evaluator';

export const usage = `usage: treewall simulate FILE --packet SPEC [--packet SPEC ...] [--every SECONDS] [--json]

Judges each packet against FILE (XML document or NeXT text) exactly as the kernel should
(DESIGN §3) and prints the verdict and every rule tested on the way. Packets share one state:
an address triggered by one packet is banned for the next. --every puts SECONDS between packets
(default 1).

SPEC:  (in|out) [INTERFACE] PROTOCOL SRC > DST [flags F,F] [type T] [code C] [len N] [ttl N]
       [dscp N] [state S] [uid N] [gid N] [frag N] [options N,N] [payload "text"] [time ISO]
e.g.   in eth0 tcp 10.0.0.5:40000 > 10.0.0.1:22 flags syn
       out wlan0 udp [2001:db8::1]:5353 > [2001:db8::2]:53
       in eth0 icmp 192.0.2.7 > 10.0.0.1 type echo-request

exit codes: 0 done, 2 bad input (file or packet), 1 other error`;

interface Args {
  file: string;
  packets: string[];
  every: number;
  json: boolean;
}

function parseArgs(args: string[]): Args | string {
  let file: string | undefined;
  const packets: string[] = [];
  let every = 1;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--packet' || a === '-p') {
      const spec = args[++i];
      if (spec === undefined) return '--packet needs a packet description';
      packets.push(spec);
    } else if (a.startsWith('--packet=')) packets.push(a.slice('--packet='.length));
    else if (a === '--every') {
      const n = Number(args[++i]);
      if (!Number.isFinite(n) || n < 0) return '--every needs a number of seconds';
      every = n;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (file === undefined) file = a;
    else return `unexpected argument ${a}`;
  }
  if (file === undefined) return 'no FILE given';
  if (packets.length === 0) return 'no --packet given';
  return { file, packets, every, json };
}

interface RuleInfo {
  id: string;
  number: string;
  name: string;
  test: string;
  action: string;
}

function ruleInfos(doc: FirewallDocument): Map<string, RuleInfo> {
  const numbers = numberRules(doc.rules);
  const infos = new Map<string, RuleInfo>();
  walk(doc.rules, (rule: Rule) => {
    const value = rule.value === '' ? '' : ` ${rule.value}`;
    const test =
      rule.property === 'Any' || rule.property === 'None'
        ? rule.property
        : `${rule.property} ${rule.relation}${value}`;
    const action = rule.parameter === '' ? rule.action : `${rule.action} ${rule.parameter}`;
    infos.set(rule.id, {
      id: rule.id,
      number: numbers.get(rule.id) ?? '?',
      name: rule.name,
      test,
      action,
    });
  });
  return infos;
}

function describeVerdict(result: Evaluation, infos: Map<string, RuleInfo>): string {
  const by = result.verdictRuleId ? infos.get(result.verdictRuleId) : undefined;
  const who = by
    ? `rule ${by.number}${by.name ? ` "${by.name}"` : ''} (${result.verdictAction})`
    : 'the default policy';
  return `verdict: ${result.verdict.toUpperCase()} by ${who}${result.logged ? ', logged' : ', not logged'}`;
}

function humanReport(packet: Packet, result: Evaluation, infos: Map<string, RuleInfo>): string {
  const lines = [`packet: ${formatPacket(packet)}`];
  const matched = new Set(result.matched);
  const actionsByRule = new Map<string, string[]>();
  for (const run of result.actions)
    actionsByRule.set(run.ruleId, [...(actionsByRule.get(run.ruleId) ?? []), run.action]);
  const width = Math.max(6, ...result.tested.map((id) => infos.get(id)?.number.length ?? 0));
  for (const id of result.tested) {
    const info = infos.get(id);
    if (!info) continue;
    const mark = matched.has(id) ? 'match' : '  -  ';
    const ran = actionsByRule.get(id);
    const tail = ran ? `  => ${ran.join(', ')}` : matched.has(id) ? `  (${info.action})` : '';
    const name = info.name ? `  "${info.name}"` : '';
    lines.push(`  ${info.number.padEnd(width)}  ${mark}  ${info.test}${name}${tail}`);
  }
  if (result.tested.length === 0) lines.push('  (no enabled rule)');
  lines.push(describeVerdict(result, infos));
  if (result.translated) {
    const t = result.translated;
    const host = t.dst.includes(':') && t.dstPort !== undefined ? `[${t.dst}]` : t.dst;
    lines.push(
      `translated on arrival (Port forward, before the filter): to ${host}${t.dstPort !== undefined ? `:${t.dstPort}` : ''}`,
    );
  }
  for (const t of result.stateChanges.triggered) {
    const rule = infos.get(t.ruleId);
    const time = t.timeout === 'unlimited' ? 'unlimited' : `${t.timeout} s`;
    lines.push(`${t.table}: ${t.address} for ${time} by rule ${rule?.number ?? t.ruleId}`);
  }
  for (const t of result.stateChanges.refreshed) {
    lines.push(
      `refreshed ${t.table}: ${t.address} by rule ${infos.get(t.ruleId)?.number ?? t.ruleId}`,
    );
  }
  for (const p of result.problems)
    lines.push(`problem: rule ${infos.get(p.ruleId)?.number ?? p.ruleId}: ${p.message}`);
  return lines.join('\n');
}

function jsonReport(packet: Packet, result: Evaluation, infos: Map<string, RuleInfo>): unknown {
  const matched = new Set(result.matched);
  const ref = (id: string | undefined) =>
    id === undefined
      ? null
      : { id, number: infos.get(id)?.number ?? null, name: infos.get(id)?.name ?? null };
  return {
    packet: formatPacket(packet),
    verdict: result.verdict,
    verdictAction: result.verdictAction ?? null,
    verdictRule: ref(result.verdictRuleId),
    logged: result.logged,
    logRule: ref(result.logRuleId),
    path: result.tested.map((id) => ({ ...infos.get(id), matched: matched.has(id) })),
    matched: result.matched.map((id) => infos.get(id)?.number ?? id),
    actions: result.actions.map((a) => ({ ...ref(a.ruleId), action: a.action })),
    stateChanges: result.stateChanges,
    problems: result.problems,
    translated: result.translated ?? null,
  };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    console.error(`treewall simulate: ${parsed}\n\n${usage}`);
    return 2;
  }
  const packets: Packet[] = [];
  for (const spec of parsed.packets) {
    const packet = parsePacketSpec(spec);
    if (!packet.ok) {
      console.error(`treewall simulate: packet "${spec}": ${packet.error}`);
      return 2;
    }
    packets.push(packet.value);
  }
  let doc: FirewallDocument;
  try {
    doc = await readDocumentFile(parsed.file);
  } catch (error) {
    console.error(`treewall simulate: ${parsed.file}: ${(error as Error).message}`);
    return 2;
  }
  const infos = ruleInfos(doc);
  let state = createState(0);
  const reports: unknown[] = [];
  const texts: string[] = [];
  packets.forEach((packet, i) => {
    if (i > 0) state = advance(state, state.now + parsed.every);
    const result = evaluate(doc, packet, state);
    state = result.state;
    if (parsed.json) reports.push(jsonReport(packet, result, infos));
    else texts.push(humanReport(packet, result, infos));
  });
  if (parsed.json)
    console.log(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  else console.log(texts.join('\n\n'));
  return 0;
}
