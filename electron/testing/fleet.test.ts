// The fleet over real OpenSSH: three network namespaces, each with its own treewall helper and its
// own sshd (key authentication with a key made at test time), reached from an "admin" namespace
// by the system's ssh client running `treewall helper-bridge` at the far end. Real traffic:
// a staged rollout with a canary; one host's link cut mid-rollout rolls back there alone; counters
// summed over hosts equal each host's own; drift when one host's table is changed by hand; and
// the hostile or broken hosts, each a clear per-host error with nothing applied there.
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { formatFleet, type FleetFile } from '../../shared/fleet/fleet.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { documentFingerprint, FleetClient, type RolloutEvent } from '../common/fleet-client.ts';
import type { HelperClient } from '../common/helper-client.ts';
import { kernelSkipReason, kernelTestsAvailable, which } from './netns.ts';
import { fullRunRequested } from './prerequisites.ts';
import { SSHD, startTestFleet, type TestFleet } from './fleet-hosts.ts';
import { repoRoot } from './treewall-processes.ts';

const available = kernelTestsAvailable && which(SSHD) && which('ssh') && which('ssh-keygen');
const skip = !available && !fullRunRequested();

/** Deletes TCP to `port` (the rule keeps its id across documents: counters add up by id). */
const doc = (port: number): FirewallDocument => ({
  rules: [
    createRule({ id: 'block', property: 'Dest port', value: String(port), action: 'Delete' }),
  ],
  settings: { ...DEFAULT_SETTINGS, firewallOn: true },
});
const OLD = doc(9001);
const NEW = doc(9002);

describe.skipIf(skip)(
  `fleet over OpenSSH${available ? '' : ` (${kernelSkipReason ?? 'sshd or ssh missing'})`}`,
  () => {
    let f: TestFleet;
    let fleet: FleetClient;
    const direct: HelperClient[] = [];

    beforeAll(async () => {
      f = await startTestFleet(3);
      fleet = new FleetClient(f.fleet, f.clientOptions);
      for (const h of f.hosts) {
        direct.push(await h.helper.connect());
        await h.ns.listenTcp(9001);
        await h.ns.listenTcp(9002);
      }
    }, 90_000);
    afterAll(async () => {
      await Promise.all(direct.map((c) => c.close()));
      await f?.stop();
    });

    const connects = async (host: number, port: number) =>
      (await f.admin.tcpConnect(f.hosts[host]!.address, port, { timeoutMs: 400 })).result;

    it('hostile or broken hosts: each a clear error of its own, nothing applied, no hang', async () => {
      const fake = await fakeHelper(path.join(f.dir, 'old-helper.sock'), 99);
      const strayKey = await f.strayHostKey();
      await f.addSshConfig(
        `Host wrongkey\n  HostName ${f.hosts[0]!.address}\n  HostKeyAlias wrongkey\n` +
          `Host unknownkey\n  HostName ${f.hosts[1]!.address}\n  HostKeyAlias unknownkey\n`,
      );
      const { appendFile } = await import('node:fs/promises');
      await appendFile(f.knownHostsFile, `wrongkey ${strayKey}\n`);
      const hostile: FleetFile = {
        version: 1,
        hosts: [
          f.entry('ghost', 'no-such-host.invalid'),
          f.entry('mitm', 'wrongkey'),
          f.entry('stranger', 'unknownkey'),
          f.entry('bare', 'h1', { remoteCommand: ['/nonexistent/bin/treewall'] }),
          f.entry('old', 'h2', { socket: fake.path }),
          f.entry('nohelper', 'h3', { socket: path.join(f.dir, 'nobody-listens.sock') }),
        ],
        canaries: {},
      };
      const client = new FleetClient(hostile, f.clientOptions);
      const started = Date.now();
      const outcomes = await client.call(hostile.hosts, 'apply', { document: NEW });
      const codes = Object.fromEntries(
        outcomes.map((o) => [o.host, o.ok ? 'ok' : `${o.error.code}: ${o.error.message}`]),
      );
      expect(codes.ghost).toMatch(/^unreachable: ghost .*unknown host/);
      expect(codes.mitm).toMatch(/^host-key: mitm .*does not match known_hosts.*nothing was sent/);
      expect(codes.stranger).toMatch(/^host-key: /);
      expect(codes.bare).toMatch(/^no-treewall: bare: treewall is not installed there/);
      expect(codes.old).toMatch(
        /^protocol-mismatch: old: its helper speaks protocol 99 .*nothing was sent/,
      );
      expect(codes.nohelper).toMatch(/^no-helper: nohelper: .*helper does not answer/);
      expect(Date.now() - started).toBeLessThan(40_000); // bounded by the timeouts, never a hang
      // The fake old helper got only the version check, no apply.
      expect(fake.calls).toEqual(['status']);
      await fake.close();
      // Nothing reached the real helpers behind those sshds.
      for (const c of direct) expect((await c.call('status', {})).appliedAt).toBeNull();
      // A name starting with '-' never becomes an ssh argument.
      expect(() => fleet.select({ hosts: ['-oProxyCommand=touch /tmp/pwned'] })).toThrow(
        /starts with '-'/,
      );
    }, 60_000);

    it('a staged rollout: canary first; a host cut off mid-rollout rolls back alone', async () => {
      // Every host starts on OLD (a plain fan-out apply), confirmed.
      const first = await fleet.call(f.fleet.hosts, 'apply', { document: OLD });
      expect(first.map((o) => o.ok)).toEqual([true, true, true]);
      for (let i = 0; i < 3; i++) {
        expect(await connects(i, 9001)).toBe('timeout');
        expect(await connects(i, 9002)).toBe('connected');
      }
      const events: RolloutEvent[] = [];
      const result = await fleet.rollout(f.fleet.hosts, NEW, {
        confirmTimeoutSeconds: 15,
        onProgress: async (e) => {
          events.push(e);
          // h3's link goes down right after its apply, before its health probe.
          if (e.host === 'h3' && e.phase === 'applied') await f.hosts[2]!.setLink(false);
        },
      });
      const byHost = Object.fromEntries(result.hosts.map((o) => [o.host, o]));
      expect(result.canary).toBe('h1');
      expect(byHost.h1!.ok && byHost.h2!.ok).toBe(true);
      expect(result.ok).toBe(false);
      const h3 = byHost.h3!;
      expect(h3.ok).toBe(false);
      if (!h3.ok) expect(h3.error.message).toMatch(/restores the previous rules at|reverted/);
      // The canary was confirmed before any other host was touched.
      const canaryConfirmed = events.findIndex((e) => e.host === 'h1' && e.phase === 'confirmed');
      const othersStart = events.findIndex((e) => e.host !== 'h1' && e.phase === 'applying');
      expect(canaryConfirmed).toBeGreaterThanOrEqual(0);
      expect(othersStart).toBeGreaterThan(canaryConfirmed);
      // h1 and h2 keep NEW, confirmed.
      for (const i of [0, 1]) {
        expect(await connects(i, 9002)).toBe('timeout');
        expect(await connects(i, 9001)).toBe('connected');
        expect((await direct[i]!.call('status', {})).pendingConfirm).toBeNull();
      }
      // h3 (its helper asked over its socket, not over the cut link) rolls back at its deadline.
      const deadline = events.find((e) => e.host === 'h3' && e.phase === 'applied')?.deadline;
      expect(deadline).toBeTruthy();
      const rolledBack = async () => {
        for (;;) {
          const s = await direct[2]!.call('status', {});
          if (s.pendingConfirm === null) return s;
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      await rolledBack();
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(deadline!) - 1000);
      const active = await direct[2]!.call('showActive', { withText: false });
      expect(documentFingerprint(active.document!)).toBe(documentFingerprint(OLD));
      await f.hosts[2]!.setLink(true);
      expect(await connects(2, 9001)).toBe('timeout');
      expect(await connects(2, 9002)).toBe('connected');
      // Still NEW on the others after h3's rollback.
      for (const i of [0, 1]) expect(await connects(i, 9002)).toBe('timeout');
    }, 90_000);

    it('counters summed across hosts equal the per-host counts; drift when changed by hand', async () => {
      // Blocked attempts: h1 NEW (9002) x2, h2 NEW (9002) x3, h3 OLD (9001) x1.
      for (const [i, port, n] of [
        [0, 9002, 2],
        [1, 9002, 3],
        [2, 9001, 1],
      ] as const) {
        for (let k = 0; k < n; k++) expect(await connects(i, port)).toBe('timeout');
      }
      const perHost = await Promise.all(direct.map((c) => c.call('counters', {})));
      const { hosts, sum } = await fleet.counters(f.fleet.hosts);
      expect(hosts.every((o) => o.ok)).toBe(true);
      const own = perHost.map((s) => s.counters.block?.packets ?? 0);
      hosts.forEach((o, i) => o.ok && expect(o.value.counters.block?.packets).toBe(own[i]));
      expect(own[0]).toBeGreaterThanOrEqual(2);
      expect(own[1]).toBeGreaterThanOrEqual(3);
      expect(own[2]).toBeGreaterThanOrEqual(1);
      expect(sum.hosts).toBe(3);
      expect(sum.counters.block!.packets).toBe(own[0]! + own[1]! + own[2]!);
      expect(sum.counters.block!.bytes).toBe(
        perHost.reduce((t, s) => t + (s.counters.block?.bytes ?? 0), 0),
      );

      // Drift: h2's table changed by hand; h3 is on OLD, not NEW.
      await f.hosts[1]!.ns.nft([
        'add',
        'rule',
        'inet',
        'treewall',
        'input',
        'tcp',
        'dport',
        '9999',
        'drop',
      ]);
      const status = await fleet.status(f.fleet.hosts, {
        document: NEW,
        lastApplied: {
          h1: documentFingerprint(NEW),
          h2: documentFingerprint(NEW),
          h3: documentFingerprint(NEW),
        },
      });
      const drift = status.map((o) => (o.ok ? o.value.drift : o.error));
      expect(drift).toEqual([
        expect.objectContaining({
          changedByHand: false,
          differsFromDocument: false,
          differsFromLastApplied: false,
        }),
        expect.objectContaining({ changedByHand: true, differsFromDocument: false }),
        expect.objectContaining({
          changedByHand: false,
          differsFromDocument: true,
          differsFromLastApplied: true,
        }),
      ]);
    }, 60_000);

    it('the CLI: --host/--group/--fleet, a per-host table or JSON, exit 1 when a host fails', async () => {
      const fleetFile = path.join(f.dir, 'fleet.json');
      const withGhost: FleetFile = {
        ...f.fleet,
        hosts: [...f.fleet.hosts, f.entry('ghost', 'no-such-host.invalid', { groups: ['far'] })],
      };
      await writeFile(fleetFile, formatFleet(withGhost));
      const cli = (...args: string[]) =>
        f.admin.exec(
          [
            process.execPath,
            path.join(repoRoot, 'bin/treewall.js'),
            ...args,
            '--fleet',
            fleetFile,
            '--ssh-config',
            f.sshConfig,
          ],
          { allowFail: true, timeoutMs: 60_000 },
        );
      const all = await cli('status', '--json');
      expect(all.code).toBe(1);
      const json = JSON.parse(all.stdout) as {
        ok: boolean;
        hosts: {
          host: string;
          ok: boolean;
          value?: { drift: { changedByHand: boolean } };
          error?: { code: string };
        }[];
      };
      expect(json.ok).toBe(false);
      expect(json.hosts.map((h) => [h.host, h.ok])).toEqual([
        ['h1', true],
        ['h2', true],
        ['h3', true],
        ['ghost', false],
      ]);
      expect(json.hosts[1]!.value!.drift.changedByHand).toBe(true);
      expect(json.hosts[3]!.error!.code).toBe('unreachable');
      const table = await cli('status', '--group', 'test');
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^h2 +ok +firewall on, .*DRIFT: CHANGED BY HAND/m);
      expect(table.stdout).toMatch(/^h1 +ok +firewall on, .*no drift/m);
      const counters = await cli('counters', '--host', 'h1', '--host', 'h2', '--json');
      expect(counters.code).toBe(0);
      const c = JSON.parse(counters.stdout) as {
        sum: { counters: Record<string, { packets: number }> };
        hosts: { value: { counters: Record<string, { packets: number }> } }[];
      };
      expect(c.sum.counters.block!.packets).toBe(
        c.hosts[0]!.value.counters.block!.packets + c.hosts[1]!.value.counters.block!.packets,
      );
      const dash = await cli('status', '--host', '-oProxyCommand=touch /tmp/tw-pwned');
      expect(dash.code).toBe(2);
      expect(dash.stderr).toMatch(/starts with '-' \(refused\)/);
      const unknown = await cli('status', '--host', 'nosuch');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown host 'nosuch'/);
    }, 90_000);
  },
);

/** A helper of another protocol version: answers `status` with `protocol`, records calls. */
async function fakeHelper(socketPath: string, protocol: number) {
  const calls: string[] = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, nl)) as { id: number; call: string };
        buffer = buffer.slice(nl + 1);
        calls.push(message.call);
        socket.write(
          JSON.stringify({ id: message.id, ok: true, result: { protocol, version: '99.0.0' } }) +
            '\n',
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    path: socketPath,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
