// Runtime: vitest, root only. Issue 13, Delay with real packets: pings through a Delay rule come
// back after the stated time (300 ms, and the default half second), pings the rule does not match
// come back at once; IPv6 too. When the helper's queue worker is gone (killed) or was never there
// (the table loaded without a helper), an open rule passes its packets at once and a closed one
// deletes them. Stop removes the queue rules with the table and ends the worker.
// Expectations are written out here, not taken from the evaluator.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { doc, rule } from '../../shared/evaluator/test-rules.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import type { HelperClient } from '../common/helper-client.ts';
import { kernelSkipReason, sweepStale, TestNet, type Namespace } from './netns.ts';
import { fullRunRequested } from './prerequisites.ts';
import { runTreewall, startHelper, type HelperProcess } from './treewall-processes.ts';

// A kernel test that cannot run must fail loudly where a full run is asked for (CI).
if (kernelSkipReason !== undefined && fullRunRequested()) {
  it('Delay kernel tests can run here', () => {
    throw new Error(`Delay kernel tests cannot run: ${kernelSkipReason}`);
  });
}

/** Round-trip times (ms) of `count` pings from `from` (source `src`) to `to`; lost ones absent. */
async function pingTimes(ns: Namespace, src: string, to: string, count = 3): Promise<number[]> {
  const r = await ns.exec(
    ['ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', '-I', src, to],
    { allowFail: true, timeoutMs: 15_000 },
  );
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

/** The helper's children whose command line runs the queue worker (by pid, never by name). */
function workerPids(helperPid: number): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${helperPid}/task/${helperPid}/children`, 'utf8');
  } catch {
    return [];
  }
  return children
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nft-queue.py');
      } catch {
        return false;
      }
    });
}

/** Delay rules: 300 ms for 10.62.0.2 and fd62::2, the default for 10.62.0.3; `mode` open|closed. */
function delayed(mode?: 'open' | 'closed'): FirewallDocument {
  const with300 = mode ? `300ms ${mode}` : '300ms';
  return doc([
    rule('Protocol', 'icmp', '->', [
      rule('Source net', '10.62.0.2', 'Delay', [], { id: 'd300', parameter: with300 }),
      rule('Source net', '10.62.0.3', 'Delay', [], { id: 'ddef', parameter: mode ?? '' }),
    ]),
    rule('Protocol', 'ipv6-icmp', '->', [
      rule('Source net', 'fd62::2', 'Delay', [], { id: 'd6', parameter: with300 }),
    ]),
  ]);
}

describe.skipIf(kernelSkipReason !== undefined)(
  `Delay holds pings in the kernel ${kernelSkipReason ?? ''}`,
  () => {
    const net = new TestNet('delay');
    let client: Namespace;
    let host: Namespace;
    let helper: HelperProcess;
    let api: HelperClient;
    beforeAll(async () => {
      await sweepStale('delay');
      client = await net.namespace('client');
      host = await net.namespace('host');
      await net.link(client, host, {
        aName: 'eth0',
        bName: 'eth0',
        aAddresses: ['10.62.0.2/24', '10.62.0.3/24', '10.62.0.4/24', 'fd62::2/64', 'fd62::4/64'],
        bAddresses: ['10.62.0.1/24', 'fd62::1/64'],
      });
      helper = await startHelper({ namespace: host.name });
      api = await helper.connect();
    }, 60_000);
    afterAll(async () => {
      await api?.close().catch(() => undefined);
      await helper?.stop();
      await net.cleanup();
    });

    it('holds pings for the stated time (300 ms, the default 500 ms, IPv6), others pass at once', async () => {
      const applied = await api.call('apply', { document: delayed() });
      expect(applied.delays).toMatchObject({
        queues: [27200, 27201],
        error: null,
      });
      expect(applied.delays?.expr).toMatch(/^(xt NFQUEUE|queue)$/);
      const t300 = await pingTimes(client, '10.62.0.2', '10.62.0.1');
      const tDefault = await pingTimes(client, '10.62.0.3', '10.62.0.1');
      const t6 = await pingTimes(client, 'fd62::2', 'fd62::1');
      const fast = await pingTimes(client, '10.62.0.4', '10.62.0.1');
      const fast6 = await pingTimes(client, 'fd62::4', 'fd62::1');
      console.log('Delay RTTs (ms)', { t300, tDefault, t6, fast, fast6 });
      expect(t300).toHaveLength(3);
      for (const t of t300) expect(t).toBeGreaterThanOrEqual(300);
      for (const t of t300) expect(t).toBeLessThan(1000);
      expect(tDefault).toHaveLength(3);
      for (const t of tDefault) expect(t).toBeGreaterThanOrEqual(500);
      for (const t of tDefault) expect(t).toBeLessThan(1200);
      expect(t6).toHaveLength(3);
      for (const t of t6) expect(t).toBeGreaterThanOrEqual(300);
      for (const t of t6) expect(t).toBeLessThan(1000);
      expect(fast).toHaveLength(3);
      expect(fast6).toHaveLength(3);
      // Not delayed: far below the shortest delay (a loaded machine still answers in ms).
      for (const t of [...fast, ...fast6]) expect(t).toBeLessThan(150);
      const counters = await api.call('counters', {});
      expect(counters.counters.d300?.packets).toBe(3);
      expect(counters.counters.ddef?.packets).toBe(3);
      const state = await api.call('status', {});
      expect(state.delays?.released).toBeGreaterThanOrEqual(9);
      expect(state.delays?.held).toBe(0);
      const cli = await runTreewall(['status', '--socket', helper.socket]);
      expect(cli.stdout).toMatch(
        /^delay +queues 27200, 27201 \((xt NFQUEUE|queue)\), 0 held, \d+ released$/m,
      );
      // The placeholder holds the worker's queue rule; the listing still parses.
      const listed = await host.nftJson(['list', 'chain', 'inet', 'treewall', 'dq0']);
      expect(JSON.stringify(listed)).toMatch(/"xt":\{"type":"target","name":"NFQUEUE"\}|"queue"/);
    }, 60_000);

    it('open: with the worker killed the pings pass at once; closed: they are deleted', async () => {
      for (const mode of ['open', 'closed'] as const) {
        await api.call('apply', { document: delayed(mode) });
        const pids = workerPids(helper.pid);
        expect(pids).toHaveLength(1);
        process.kill(pids[0]!, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 300));
        expect((await api.call('status', {})).delays?.error).toMatch(/queue worker/);
        expect((await runTreewall(['status', '--socket', helper.socket])).stdout).toMatch(
          /^delay +WARNING: Delay: the queue worker exited \(SIGKILL\) \(open rules pass at once, closed ones delete\)$/m,
        );
        const times = await pingTimes(client, '10.62.0.2', '10.62.0.1', 2);
        const untouched = await pingTimes(client, '10.62.0.4', '10.62.0.1', 2);
        console.log(`worker killed, ${mode}: RTTs (ms)`, times, 'other source', untouched);
        expect(untouched).toHaveLength(2);
        if (mode === 'open') {
          expect(times).toHaveLength(2);
          for (const t of times) expect(t).toBeLessThan(150);
        } else expect(times).toEqual([]);
      }
      // The next apply starts a worker again: held for the stated time once more.
      await api.call('apply', { document: delayed() });
      for (const t of await pingTimes(client, '10.62.0.2', '10.62.0.1', 2))
        expect(t).toBeGreaterThanOrEqual(300);
    }, 90_000);

    it('stop removes the queue rules with the table and ends the worker', async () => {
      await api.call('apply', { document: delayed() });
      expect(workerPids(helper.pid)).toHaveLength(1);
      const stopped = await api.call('stop', {});
      expect(stopped.delays ?? null).toBeNull();
      await new Promise((r) => setTimeout(r, 200));
      expect(workerPids(helper.pid)).toEqual([]);
      const tables = await host.nft(['list', 'tables']);
      expect(tables).not.toContain('treewall');
      for (const t of await pingTimes(client, '10.62.0.2', '10.62.0.1', 2))
        expect(t).toBeLessThan(150);
    }, 60_000);

    it('the helper killed: its worker sees stdin close, releases and exits; open rules pass at once', async () => {
      await api.call('apply', { document: delayed() });
      const [worker] = workerPids(helper.pid);
      expect(worker).toBeDefined();
      await api.close();
      await helper.kill('SIGKILL');
      // Orphaned, the worker reads end of file on stdin and exits by itself.
      for (let i = 0; i < 50 && existsSync(`/proc/${worker}`); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(`/proc/${worker}`)).toBe(false);
      const times = await pingTimes(client, '10.62.0.2', '10.62.0.1', 2);
      expect(times).toHaveLength(2);
      for (const t of times) expect(t).toBeLessThan(150);
      await host.nft(['delete', 'table', 'inet', 'treewall']);
    }, 60_000);

    it('no helper at all (the table loaded by hand): the fallback decides, open passes, closed deletes', async () => {
      for (const mode of ['open', 'closed'] as const) {
        const result = compile(delayed(mode), { tableName: 'treewall' });
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        await host.loadNft(result.nft);
        const times = await pingTimes(client, '10.62.0.2', '10.62.0.1', 2);
        if (mode === 'open') {
          expect(times).toHaveLength(2);
          for (const t of times) expect(t).toBeLessThan(150);
        } else expect(times).toEqual([]);
        expect((await pingTimes(client, '10.62.0.4', '10.62.0.1', 2)).length).toBe(2);
        await host.nft(['delete', 'table', 'inet', 'treewall']);
      }
    }, 60_000);
  },
);
