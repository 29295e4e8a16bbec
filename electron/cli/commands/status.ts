// Runtime: plain Node (CLI). `treewall status`: what the helper has applied and how it is doing.

import { readDocument } from './apply.ts';
import { readFleetState, reportOutcomes, runFleet } from '../fleet.ts';
import { EXIT, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'Show what the helper has applied';

export const usage = `usage: treewall status [--socket PATH] [--json]
       [--host NAME]... [--group GROUP]... [--fleet FILE] [--ssh-config FILE]  (a fleet over ssh)

Over a fleet (--host/--group, see docs/fleet.md), one row per host with its drift: whether its
table was changed by hand, whether what it has applied differs from --document FILE, and from
what the fleet last applied there (fleet-state.json beside the fleet file).

exit codes: 0 ok, 3 helper unreachable, 1 other (fleet: 1 when any host failed)`;

function runOnFleet(args: string[]): Promise<number> | null {
  return runFleet(
    'status',
    args,
    usage,
    async ({ client, hosts, parsed: p, fleetFile }) => {
      if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const file = typeof p.options.document === 'string' ? p.options.document : undefined;
      const document = file === undefined ? undefined : await readDocument(file);
      const state = await readFleetState(fleetFile);
      const lastApplied = Object.fromEntries(
        Object.entries(state.hosts).map(([host, s]) => [host, s.fingerprint]),
      );
      const outcomes = await client.status(hosts, { document, lastApplied });
      return reportOutcomes(outcomes, p.json, ({ status: s, drift: d }) => {
        const drift = [
          d.changedByHand ? 'CHANGED BY HAND' : '',
          d.differsFromDocument ? `differs from ${file}` : '',
          d.differsFromLastApplied ? 'differs from the last fleet apply' : '',
        ].filter(Boolean);
        return [
          `firewall ${s.active ? 'on' : 'off'}`,
          s.appliedAt
            ? `${s.ruleCount} rules applied ${shortTime(s.appliedAt)}`
            : 'nothing applied',
          `document ${d.appliedFingerprint ? d.appliedFingerprint.slice(0, 12) : '-'}`,
          s.pendingConfirm ? `confirm pending until ${shortTime(s.pendingConfirm.deadline)}` : '',
          drift.length ? `DRIFT: ${drift.join(', ')}` : 'no drift',
        ]
          .filter(Boolean)
          .join(', ');
      });
    },
    { valued: ['document'] },
  );
}

export function run(args: string[]): Promise<number> {
  const fleet = runOnFleet(args);
  if (fleet) return fleet;
  return runWithClient('status', args, usage, async (client, p) => {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
    const s = await client.call('status', {});
    if (p.json) {
      printJson(s);
      return EXIT.ok;
    }
    const lines = [
      `helper      pid ${s.pid}, version ${s.version}, socket ${s.socketPath}, ${s.clients} client(s)`,
      `firewall    ${s.active ? 'on' : 'off'}${s.active && !s.matchesApplied ? ' (WARNING: the table was changed outside treewall)' : ''}`,
      `applied     ${s.appliedAt ? `${shortTime(s.appliedAt)}, ${s.ruleCount} rules` : '-'}`,
      `confirm     ${s.pendingConfirm ? `pending: rollback at ${shortTime(s.pendingConfirm.deadline)} unless \`treewall confirm\`` : '-'}`,
      `revert      ${s.canRevert ? 'available' : '-'}`,
      `log         NFLOG group ${s.logGroup}, reader ${s.logReader}`,
    ];
    for (const t of s.timerRules) lines.push(`timer rule  ${t.number} ${t.property}: ${t.note}`);
    for (const w of s.warnings) lines.push(`warning     rule ${w.number}: ${w.message}`);
    if (s.forwarding?.message) lines.push(`forwarding  WARNING: ${s.forwarding.message}`);
    if (s.routes && (s.routes.tables.length > 0 || s.routes.error))
      lines.push(
        `routing     ${s.routes.error ? `Route to failed: ${s.routes.error}` : `treewall tables ${s.routes.tables.join(', ')} (ip rule fwmark)`}`,
      );
    if (s.delays)
      lines.push(
        `delay       ${s.delays.error ? `WARNING: ${s.delays.error} (open rules pass at once, closed ones delete)` : `queues ${s.delays.queues.join(', ')} (${s.delays.expr ?? '?'}), ${s.delays.held} held, ${s.delays.released} released`}`,
      );
    if (s.lastError) lines.push(`last error  ${s.lastError}`);
    console.log(lines.join('\n'));
    return EXIT.ok;
  });
}
