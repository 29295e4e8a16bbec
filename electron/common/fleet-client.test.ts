import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type HelperStatusResult } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { documentFingerprint, FleetClient } from './fleet-client.ts';
import { HelperClient } from './helper-client.ts';

const doc = (port: string, expanded = false): FirewallDocument => ({
  rules: [
    createRule({
      id: 'g',
      property: 'Direction',
      value: 'inbound',
      action: '->',
      expanded,
      children: [createRule({ id: 'r1', property: 'Dest port', value: port, action: 'Delete' })],
    }),
  ],
  settings: { ...DEFAULT_SETTINGS },
});

describe('documentFingerprint', () => {
  it('ignores view state (expanded, the statistic shown), not what is applied', () => {
    const a = documentFingerprint(doc('22'));
    expect(documentFingerprint(doc('22', true))).toBe(a);
    expect(
      documentFingerprint({
        ...doc('22'),
        settings: { ...DEFAULT_SETTINGS, selectedStatistic: 'byteCount' },
      }),
    ).toBe(a);
    expect(documentFingerprint(doc('23'))).not.toBe(a);
    expect(
      documentFingerprint({ ...doc('22'), settings: { ...DEFAULT_SETTINGS, firewallOn: true } }),
    ).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** A fleet of `names` whose "ssh" is a node joining its stdin and stdout to the fake helper's
 * socket (the arguments ssh would get, host and remote command included, are ignored). */
function fleetOverFakeHelper(socket: string, names: string[]): FleetClient {
  const bridge = `const s = require('node:net').createConnection(${JSON.stringify(socket)});
    process.stdin.pipe(s); s.pipe(process.stdout); s.on('close', () => process.exit(0));`;
  return new FleetClient(
    { version: 1, hosts: names.map((name) => ({ name, groups: [] })), canaries: {} },
    { ssh: [process.execPath, '-e', bridge, '--'], connectTimeoutSeconds: 5 },
  );
}

describe('FleetClient without hosts that answer', () => {
  it('gives every host its own outcome, in order, and never throws (ssh that cannot start)', async () => {
    const fleet = new FleetClient(
      {
        version: 1,
        hosts: [
          { name: 'a', groups: [] },
          { name: 'b', groups: [] },
        ],
        canaries: {},
      },
      { ssh: ['/nonexistent/ssh'], connectTimeoutSeconds: 1 },
    );
    const outcomes = await fleet.call(fleet.select({}), 'status', {});
    expect(outcomes.map((o) => [o.host, o.ok, !o.ok && o.error.message])).toEqual([
      ['a', false, expect.stringMatching(/^a: cannot run \/nonexistent\/ssh: .*ENOENT/)],
      ['b', false, expect.stringMatching(/^b: cannot run \/nonexistent\/ssh/)],
    ]);
  });
});

/** A helper that answers status, apply and confirm, keeping every request line it got. */
async function fakeHelper(
  options: { lateConfirm?: boolean; rolledBackBeforeProbe?: boolean } = {},
): Promise<{
  socket: string;
  lines: string[];
  accepted(): number;
  close(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tw-fleet-client-'));
  const socket = path.join(dir, 'helper.sock');
  const lines: string[] = [];
  const status: HelperStatusResult = {
    protocol: PROTOCOL_VERSION,
    version: 'test',
    pid: 1,
    socketPath: socket,
    stateDir: dir,
    logGroup: 1729,
    active: true,
    matchesApplied: true,
    appliedAt: '2026-12-07T12:00:00.000Z',
    ruleCount: 2,
    documentHash: null,
    pendingConfirm: null,
    canRevert: true,
    logReader: 'unavailable',
    timerRules: [],
    warnings: [],
    lastError: null,
    clients: 1,
  };
  const connections = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((c) => {
    accepted++;
    connections.add(c);
    c.on('close', () => connections.delete(c));
    c.on('end', () => c.end());
    let buffer = '';
    c.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        const { id, call } = JSON.parse(line) as { id: number; call: string };
        // lateConfirm: the deadline passed before the confirm, the helper restored the
        // previous rules (none here) and answers the confirm with what it now holds.
        // rolledBackBeforeProbe: the same, seen already by the health probe (a new session's
        // status): every status after the apply.
        const applied = lines.some((l) => l.includes('"call":"apply"'));
        const rolledBack =
          (call === 'confirm' && options.lateConfirm) ||
          ((call === 'status' || call === 'revertPending') &&
            applied &&
            options.rolledBackBeforeProbe);
        const now = rolledBack
          ? {
              ...status,
              active: false,
              matchesApplied: false,
              appliedAt: null,
              ruleCount: null,
              canRevert: false,
              lastError: 'rolled back: no confirm within 60 s',
            }
          : status;
        // revertPending finds the apply no longer pending (rolled back), so changes nothing.
        const result = call === 'revertPending' ? { reverted: false, status: now } : now;
        c.write(`${JSON.stringify({ id, ok: true, result })}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    lines,
    /** Sessions opened so far (each ssh session is one connection to the socket). */
    accepted: () => accepted,
    async close() {
      for (const c of connections) c.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('FleetClient sending one document to many hosts', () => {
  it('encodes the document once and sends every host the line a single call sends', async () => {
    const helper = await fakeHelper();
    try {
      const fleet = fleetOverFakeHelper(helper.socket, ['a', 'b', 'c']);
      const document = doc('8080');
      let encodings = 0;
      // JSON.stringify calls toJSON once per encoding of the document.
      Object.defineProperty(document.settings, 'toJSON', {
        enumerable: false,
        value(this: object) {
          encodings++;
          return { ...this };
        },
      });
      const applyLines = () => {
        const out = helper.lines.filter((l) => l.includes('"call":"apply"'));
        helper.lines.length = 0;
        return out;
      };
      const withoutId = (line: string) => line.replace(/^\{"id":\d+,/, '{');

      // One host over the helper socket, the plain call: the reference line.
      const direct = await HelperClient.connect(helper.socket);
      await direct.call('apply', { document });
      await direct.close();
      const [reference] = applyLines();
      expect(encodings).toBe(1);

      encodings = 0;
      const outcomes = await fleet.call(fleet.select({}), 'apply', { document });
      expect(outcomes.map((o) => [o.host, o.ok])).toEqual([
        ['a', true],
        ['b', true],
        ['c', true],
      ]);
      expect(encodings).toBe(1);
      const sent = applyLines();
      expect(sent).toHaveLength(3);
      for (const line of sent) expect(withoutId(line)).toBe(withoutId(reference!));
      expect((JSON.parse(sent[0]!) as { params: { document: unknown } }).params.document).toEqual(
        JSON.parse(JSON.stringify(document)),
      );

      // The staged rollout: canary, then the rest; one encoding with the confirm timeout.
      encodings = 0;
      const rollout = await fleet.rollout(fleet.select({}), document, {
        confirmTimeoutSeconds: 60,
      });
      expect(rollout.ok).toBe(true);
      expect(encodings).toBe(1);
      const rolled = applyLines();
      expect(rolled).toHaveLength(3);
      for (const line of rolled) {
        expect(withoutId(line)).toBe(withoutId(rolled[0]!));
        expect(JSON.parse(line)).toMatchObject({ params: { confirmTimeoutSeconds: 60 } });
      }
    } finally {
      await helper.close();
    }
  });
});

describe('FleetClient rollout whose confirm comes too late', () => {
  it('reports the host rolled back, not kept, when the helper no longer holds the rules', async () => {
    const helper = await fakeHelper({ lateConfirm: true });
    try {
      const fleet = fleetOverFakeHelper(helper.socket, ['a']);
      const phases: string[] = [];
      const result = await fleet.rollout(fleet.select({}), doc('8080'), {
        confirmTimeoutSeconds: 60,
        onProgress: (e) => void phases.push(e.phase),
      });
      expect(result.ok).toBe(false);
      expect(result.hosts[0]).toMatchObject({
        host: 'a',
        ok: false,
        error: {
          code: 'timeout',
          message: expect.stringContaining(
            'already restored the previous rules (rolled back: no confirm within 60 s)',
          ),
        },
      });
      expect(phases).toEqual(['applying', 'applied', 'probing', 'reverted', 'failed']);
    } finally {
      await helper.close();
    }
  });
});

describe('FleetClient rollout whose host rolled back before the probe', () => {
  it('sends no revert (it would re-apply the new rules) and reports the host rolled back', async () => {
    const helper = await fakeHelper({ rolledBackBeforeProbe: true });
    try {
      const fleet = fleetOverFakeHelper(helper.socket, ['a']);
      const phases: string[] = [];
      const result = await fleet.rollout(fleet.select({}), doc('8080'), {
        confirmTimeoutSeconds: 60,
        onProgress: (e) => void phases.push(e.phase),
      });
      expect(result.hosts[0]).toMatchObject({
        ok: false,
        error: {
          message: expect.stringContaining(
            'its helper had already restored the previous rules (rolled back: no confirm within 60 s)',
          ),
        },
      });
      const calls = helper.lines.map((l) => (JSON.parse(l) as { call: string }).call);
      expect(calls).not.toContain('revert');
      expect(calls).not.toContain('confirm');
      // The revert it sends is the conditional one, naming the apply.
      expect(helper.lines.find((l) => l.includes('"revertPending"'))).toContain(
        '"appliedAt":"2026-12-07T12:00:00.000Z"',
      );
      expect(phases).toEqual(['applying', 'applied', 'probing', 'reverted', 'failed']);
    } finally {
      await helper.close();
    }
  });
});

describe('FleetClient rollout over a session the caller keeps', () => {
  it('applies over the given session and leaves it open; only the probes open new sessions', async () => {
    const helper = await fakeHelper();
    try {
      const fleet = fleetOverFakeHelper(helper.socket, ['a', 'b']);
      const [a, b] = fleet.select({});
      const kept = new Map([
        ['a', await fleet.connect(a!)],
        ['b', await fleet.connect(b!)],
      ]);
      const before = helper.accepted();
      const result = await fleet.rollout([a!, b!], doc('8080'), {
        confirmTimeoutSeconds: 60,
        session: async (host) => kept.get(host.name) ?? null,
      });
      expect(result.ok).toBe(true);
      // One new session per host: its health probe.
      expect(helper.accepted() - before).toBe(2);
      for (const conn of kept.values()) {
        expect(conn.client.closed).toBe(false);
        await expect(conn.client.call('status', {})).resolves.toMatchObject({ active: true });
        await conn.close();
      }

      // Without one (or when it throws), the apply opens its own session as before.
      const again = helper.accepted();
      const fallback = await fleet.rollout([a!, b!], doc('8080'), {
        confirmTimeoutSeconds: 60,
        session: (host) => {
          if (host.name === 'a') throw new Error('no link');
          return Promise.resolve(null);
        },
      });
      expect(fallback.ok).toBe(true);
      expect(helper.accepted() - again).toBe(4);
    } finally {
      await helper.close();
    }
  });
});
