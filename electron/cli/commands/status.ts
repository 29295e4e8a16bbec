// Runtime: plain Node (CLI). `treewall status`: what the helper has applied and how it is doing.

import { EXIT, printJson, runWithClient, shortTime, UsageError } from '../support.ts';

export const summary = 'Show what the helper has applied';

export const usage = `usage: treewall status [--socket PATH] [--json]

exit codes: 0 ok, 3 helper unreachable, 1 other`;

export function run(args: string[]): Promise<number> {
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
    if (s.lastError) lines.push(`last error  ${s.lastError}`);
    console.log(lines.join('\n'));
    return EXIT.ok;
  });
}
