// Runtime: Node, root (benchmarks). `npm run bench:fleet [-- --hosts N] [--rules N]`: the fleet
// over real OpenSSH (electron/testing/fleet-hosts.ts: N namespaced hosts, each its own helper and
// sshd). Prints:
//   1. one 10,000-rule document applied to one host (through ssh, and over the local socket for
//      reference) against the same document to 20 hosts: a plain fan-out apply and the staged
//      rollout (canary, then the rest in parallel, each probed and confirmed). Target: <= 2x a
//      single apply. Every host's helper runs on this machine's cores, so the helpers' CPU
//      seconds are printed too: on real hosts each apply has its own CPU.
//   2. 20 hosts streaming counters (countersSubscribe 1000 ms) for 10 s with traffic: ticks per
//      host per second, the client's CPU (this process), ssh's CPU and the helpers' CPU.
// Not part of `npm run bench` (it starts 20 helpers and 20 sshds).

import { readFileSync } from 'node:fs';
import { FleetClient, type HostOutcome } from '../electron/common/fleet-client.ts';
import { startTestFleet, type TestFleet } from '../electron/testing/fleet-hosts.ts';
import { run } from '../electron/testing/netns.ts';
import { generateDocument } from './generate.ts';

const TICK = 100; // clock ticks per second (USER_HZ) for /proc/PID/stat

/** CPU seconds (user + system) of a process and its finished children. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime stime cutime cstime are fields 14-17 (1-based), i.e. 11-14 after the comm field.
    return fields.slice(11, 15).reduce((t, v) => t + Number(v), 0) / TICK;
  } catch {
    return 0;
  }
}

const helperCpu = (f: TestFleet, hosts = f.hosts) =>
  hosts.reduce((t, h) => t + cpuSeconds(h.helper.pid), 0);

async function sshCpu(config: string): Promise<number> {
  // Our ssh clients (`ip netns exec` execs ssh): every process whose command line names our config.
  const r = await run(
    'sh',
    ['-c', 'for p in $(pgrep -f -- "$1"); do cat /proc/$p/stat; done', 'sh', `-F ${config}`],
    { allowFail: true },
  );
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .reduce((t, line) => {
      const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
      return t + (Number(f[11]) + Number(f[12])) / TICK;
    }, 0);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(argv: string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: needs root (network namespaces, nft, sshd)');
    return 0;
  }
  const arg = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const count = arg('hosts', 20);
  const rules = arg('rules', 10_000);
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`fleet benchmark: ${count} hosts, ${rules} rules; load ${load()}`);
  const t0 = performance.now();
  const f = await startTestFleet(count, 'fbench');
  console.log(`  started ${count} hosts (helper + sshd each) in ${s(performance.now() - t0)}`);
  try {
    const fleet = new FleetClient(f.fleet, {
      ...f.clientOptions,
      connectTimeoutSeconds: 30,
      aliveIntervalSeconds: 10,
      callTimeoutMs: 120_000,
    });
    const doc = generateDocument(rules);
    const all = f.fleet.hosts;
    const rows: string[][] = [];
    const measure = async (
      what: string,
      hosts: typeof all,
      fn: () => Promise<{ ok: boolean; failed: string[] }>,
    ) => {
      // Each measurement starts from an empty table on the hosts it touches.
      await fleet.call(hosts, 'stop', {});
      const cpu0 = helperCpu(
        f,
        f.hosts.filter((h) => hosts.some((x) => x.name === h.name)),
      );
      const client0 = process.cpuUsage();
      const t = performance.now();
      const r = await fn();
      const ms = performance.now() - t;
      const cpu =
        helperCpu(
          f,
          f.hosts.filter((h) => hosts.some((x) => x.name === h.name)),
        ) - cpu0;
      const c = process.cpuUsage(client0);
      rows.push([
        what,
        s(ms),
        `${(cpu / hosts.length).toFixed(2)} s`,
        `${((c.user + c.system) / 1e6).toFixed(2)} s`,
        r.ok ? 'ok' : `FAILED: ${r.failed.join(', ')}`,
      ]);
      console.log(`  ${what}: ${s(ms)} (${load()})`);
      return ms;
    };
    const outcome = (os: HostOutcome<unknown>[]) => {
      for (const o of os)
        if (!o.ok) console.log(`    ${o.host}: ${o.error.code}: ${o.error.message}`);
      return { ok: os.every((o) => o.ok), failed: os.filter((o) => !o.ok).map((o) => o.host) };
    };
    // Local socket, no ssh: the reference a single apply costs on one host.
    const direct = await f.hosts[0]!.helper.connect();
    await direct.call('stop', {});
    const tl = performance.now();
    await direct.call('apply', { document: doc });
    const localMs = performance.now() - tl;
    await direct.close();
    rows.push(['1 host, local socket (no ssh)', s(localMs), '-', '-', 'ok']);
    const one = await measure('1 host, apply over ssh', [all[0]!], async () =>
      outcome(await fleet.call([all[0]!], 'apply', { document: doc })),
    );
    const oneStaged = await measure(
      '1 host, staged (apply, probe, confirm)',
      [all[0]!],
      async () => {
        const r = await fleet.rollout([all[0]!], doc, { confirmTimeoutSeconds: 600 });
        return outcome(r.hosts);
      },
    );
    const fan = await measure(`${count} hosts, apply over ssh (parallel)`, all, async () =>
      outcome(await fleet.call(all, 'apply', { document: doc })),
    );
    const staged = await measure(`${count} hosts, staged rollout`, all, async () => {
      const r = await fleet.rollout(all, doc, { confirmTimeoutSeconds: 600 });
      return outcome(r.hosts);
    });
    console.log('');
    const header = ['what', 'wall', 'helper CPU per host', 'client CPU', 'result'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const r of [header, ...rows])
      console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log(
      `\n  ${count} hosts / 1 host: apply ${(fan / one).toFixed(2)}x, staged ${(staged / oneStaged).toFixed(2)}x ` +
        `(target <= 2x; ${count} helpers share this machine's ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length} cores)`,
    );

    // Counters: 20 hosts streaming while traffic flows to each.
    console.log(`\n  ${count} hosts streaming counters (1000 ms) for 10 s with traffic:`);
    let ticks = 0;
    const perHost = new Map<string, number>();
    const watch = fleet.watchCounters(all, 1000, (host) => {
      ticks++;
      perHost.set(host, (perHost.get(host) ?? 0) + 1);
    });
    const ready = await watch.ready;
    const failed = ready.filter((o) => !o.ok).map((o) => o.host);
    outcome(ready);
    const cpu0 = helperCpu(f);
    const ssh0 = await sshCpu(f.sshConfig);
    const client0 = process.cpuUsage();
    let stop = false;
    const traffic = (async () => {
      // About 10 connection attempts per host per second (port 5201: the documents' bench port).
      while (!stop) {
        await new Promise((r) => setTimeout(r, 100));
        await Promise.all(
          f.hosts.map((h) =>
            f.admin.tcpConnect(h.address, 5201, { timeoutMs: 200 }).catch(() => {}),
          ),
        );
      }
    })();
    const tStart = performance.now();
    const ticks0 = ticks;
    await new Promise((r) => setTimeout(r, 10_000));
    const seconds = (performance.now() - tStart) / 1000;
    const got = ticks - ticks0;
    stop = true;
    await traffic;
    const c = process.cpuUsage(client0);
    const clientPct = ((c.user + c.system) / 1e6 / seconds) * 100;
    const helperPct = ((helperCpu(f) - cpu0) / seconds / count) * 100;
    const sshPct = (((await sshCpu(f.sshConfig)) - ssh0) / seconds / count) * 100;
    const sum = watch.sum();
    await watch.stop();
    console.log(
      `  ticks: ${got} in ${seconds.toFixed(1)} s = ${(got / seconds / count).toFixed(2)} per host per second ` +
        `(${perHost.size} hosts ticking${failed.length ? `; failed: ${failed.join(', ')}` : ''})\n` +
        `  CPU: client (this process, all hosts) ${clientPct.toFixed(1)}%, ssh ${sshPct.toFixed(2)}% per host, ` +
        `helper ${helperPct.toFixed(1)}% per host (includes its counter reads at ${rules} rules)\n` +
        `  sum over hosts: ${Object.keys(sum.counters).length} rules with counters from ${sum.hosts} hosts; load ${load()}`,
    );
    return 0;
  } finally {
    await f.stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
