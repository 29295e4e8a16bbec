// Runtime: Node, root (a measured script, not a test). How late a confirm-timeout rollback lands
// after its deadline, per document size: `npx tsx bench/rollback.ts [SIZE...]` (default 10000
// 30000 100000). The helper runs in the server namespace; the confirmed document is the
// benchmark's generated one (the client's ping passes), the unconfirmed one the same with a
// first rule that deletes everything from the client. From a little before the deadline the
// client pings every 10 ms (`ping -D -i 0.01`); the figure is the first reply's kernel time
// stamp minus the deadline the helper announced: when the restored rules were in force for a
// packet (10 ms resolution). Also printed: how long the preparation (the gated rollback table's
// load, electron/helper/service.ts prepareRollback) took after the apply's reply, which bounds
// the shortest timeout for which the fast path is ready.

import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { startHelper } from '../electron/testing/treewall-processes.ts';
import type { FirewallDocument } from '../shared/model/types.ts';
import { CLIENT_ADDRESS, createBenchNet, SERVER_ADDRESS } from './bench-net.ts';
import { generateDocument } from './generate.ts';
import { isRoot, sleep } from './sh.ts';

async function measure(size: number): Promise<string> {
  const net = await createBenchNet();
  // The helper prints a line when the rollback is prepared (its step timings): watching its
  // output costs nothing, where polling the gate chain with `nft list chain` made nft dump both
  // 100,000-rule tables every 200 ms (~1.8 s of CPU each here), slowing the preparation it timed.
  const saved = process.env.TREEWALL_HELPER_TIMINGS;
  process.env.TREEWALL_HELPER_TIMINGS = '1';
  const helper = await startHelper({ namespace: net.server }).finally(() => {
    if (saved === undefined) delete process.env.TREEWALL_HELPER_TIMINGS;
    else process.env.TREEWALL_HELPER_TIMINGS = saved;
  });
  try {
    const client = await helper.connect();
    const confirmed = generateDocument(size);
    const unconfirmed: FirewallDocument = structuredClone(confirmed);
    unconfirmed.rules.unshift({
      id: 'lockout',
      enabled: true,
      name: 'lock the client out',
      property: 'Source net',
      relation: '==',
      value: CLIENT_ADDRESS,
      action: 'Delete',
      parameter: '',
      children: [],
      expanded: false,
    });
    const huge = { timeoutMs: 30 * 60_000 };
    await client.call('apply', { document: confirmed }, huge);
    await client.call('status', {}, huge); // the fingerprint job done
    // The timeout must leave room for the preparation (a load of the document).
    // TW_ROLLBACK_TIMEOUT overrides it (seconds).
    const timeoutSeconds =
      Number(process.env.TW_ROLLBACK_TIMEOUT) || Math.max(20, Math.ceil(size / 1000) * 3);
    const out0 = helper.output().length;
    const status = await client.call(
      'apply',
      { document: unconfirmed, confirmTimeoutSeconds: timeoutSeconds },
      huge,
    );
    const replied = Date.now();
    const deadline = Date.parse(status.pendingConfirm!.deadline);
    // Preparation: the helper says the gated rollback table is loaded.
    let preparedMs: number | null = null;
    let steps = '';
    while (Date.now() < deadline - 1500) {
      const line = /timings rollback prepared: (.*)/.exec(helper.output().slice(out0));
      if (line) {
        preparedMs = Date.now() - replied;
        steps = line[1] ?? '';
        break;
      }
      await sleep(100);
    }
    await sleep(Math.max(0, deadline - 1000 - Date.now()));
    const [cmd, ...args] = net.inClient([
      'ping',
      '-D',
      '-n',
      '-i',
      '0.01',
      '-W',
      '1',
      '-w',
      String(Math.max(30, timeoutSeconds * 3)),
      SERVER_ADDRESS,
    ]);
    const ping = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const first = await new Promise<number | null>((resolve) => {
      let buffer = '';
      ping.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const m = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(buffer);
        if (m) {
          resolve(Number(m[1]) * 1000);
          ping.kill();
        }
      });
      ping.on('exit', () => resolve(null));
    });
    const late = first === null ? 'never' : `${Math.round(first - deadline)} ms`;
    const prepared = preparedMs === null ? 'not before the deadline' : `${preparedMs} ms`;
    await client.close();
    return `${size} rules: rollback lands ${late} after the deadline (timeout ${timeoutSeconds} s; prepared ${prepared} after the apply's reply${steps ? `; its steps, wall/CPU ms: ${steps}` : ''}; load ${(loadavg()[0] ?? 0).toFixed(1)})`;
  } finally {
    await helper.stop();
    await net.remove();
  }
}

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('needs root (network namespaces and nft)');
  const sizes = process.argv.slice(2).map(Number);
  for (const size of sizes.length > 0 ? sizes : [10_000, 30_000, 100_000]) {
    console.log(await measure(size));
  }
}

await main();
