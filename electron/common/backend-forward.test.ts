// The forwarded channels are derived from the helper's call list: each forwarded call has its
// channel, validated with the call's own schemas, and the backend forwards it with the one generic
// handler (the helper port sees the same call name and params). A call added to
// FORWARDED_HELPER_CALLS needs no hand-written pass-through; it needs only a sample request here.
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  appChannels,
  appHelperStatusSchema,
  FORWARDED_CALLS,
  FORWARDED_HELPER_CALLS,
  forwardChannel,
  hostChannel,
  type ForwardChannel,
  type ForwardedCall,
} from '../../shared/ipc/app-api.ts';
import {
  helperCalls,
  type HelperCall,
  type HelperStatusResult,
} from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS } from '../../shared/model/types.ts';
import { createBackend, type Backend } from './backend.ts';
import type { HelperPort } from './helper-port.ts';
import { noFleet, type FleetPort } from './fleet-port.ts';

const document = {
  rules: [createRule({ id: 'r1', property: 'Dest port', value: '22', action: 'Pass' })],
  settings: { ...DEFAULT_SETTINGS },
};

/** One valid request per forwarded call (a new call gets its sample here, nothing else). */
const samples: Record<ForwardedCall, unknown> = {
  apply: { document, confirmTimeoutSeconds: 30 },
  confirm: {},
  revert: {},
  stop: {},
  showActive: {},
  counters: {},
  interfaces: {},
  'triggered.list': { type: 'trigger' },
  'triggered.add': { address: '192.0.2.7', durationSeconds: 60 },
  'triggered.remove': { address: '192.0.2.7' },
  'triggered.flush': {},
  'triggered.import': { text: '192.0.2.8\n' },
  'triggered.export': {},
};

const helperStatus = (): HelperStatusResult =>
  ({
    active: true,
    appliedAt: '2026-01-01T00:00:00.000Z',
    ruleCount: 1,
    pendingConfirm: null,
    lastError: null,
  }) as unknown as HelperStatusResult;

describe('forwarded channels', () => {
  it('are named area:verb after the helper call', () => {
    expect(forwardChannel('apply')).toBe('helper:apply');
    expect(forwardChannel('triggered.add')).toBe('triggered:add');
    expectTypeOf<ForwardChannel<'triggered.add'>>().toEqualTypeOf<'triggered:add'>();
    expectTypeOf<ForwardChannel<'showActive'>>().toEqualTypeOf<'helper:showActive'>();
  });

  it('validate with the helper call schemas (one schema for both contracts)', () => {
    for (const call of FORWARDED_CALLS) {
      const spec = appChannels[forwardChannel(call)];
      expect(spec.request, call).toBe(helperCalls[call].params);
      expect(spec.response, call).toBe(
        FORWARDED_HELPER_CALLS[call] === 'status'
          ? appHelperStatusSchema
          : helperCalls[call].result,
      );
    }
  });

  describe('the backend forwards each through one handler', () => {
    let root: string;
    let backend: Backend;
    const seen: [HelperCall, unknown][] = [];
    beforeEach(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'tw-forward-'));
      seen.length = 0;
      const port: HelperPort = {
        connected: () => true,
        status: async () => {
          throw new Error('not asked');
        },
        call: async (name, params) => {
          seen.push([name, params]);
          return (
            FORWARDED_HELPER_CALLS[name as ForwardedCall] === 'status'
              ? helperStatus()
              : { forwardedFrom: name }
          ) as never;
        },
        onEvent: () => () => {},
        close: async () => {},
      };
      backend = createBackend({
        host: 'browser',
        version: '0.0.0-test',
        folder: root,
        stateDir: path.join(root, 'state'),
        helperSocket: '/test/helper.sock',
        codec: {
          read: async () => {
            throw new Error('no documents here');
          },
          writeAtomic: async () => {},
        } as never,
        helper: port,
      });
    });
    afterEach(async () => {
      await backend.close();
      await rm(root, { recursive: true, force: true });
    });

    it.each(FORWARDED_CALLS)('%s', async (call) => {
      const result = await backend.handle(forwardChannel(call), samples[call], {
        client: 'test',
        initialPath: null,
      });
      expect(result.ok, JSON.stringify(result)).toBe(true);
      expect(seen).toEqual([[call, samples[call]]]);
      if (!result.ok) return;
      if (FORWARDED_HELPER_CALLS[call] === 'status') {
        expect(result.value).toMatchObject({ connected: true, socketPath: '/test/helper.sock' });
      } else {
        expect(result.value).toEqual({ forwardedFrom: call });
      }
    });

    it('refuses a request the helper call would refuse, before the helper sees it', async () => {
      const result = await backend.handle(
        'triggered:add',
        { address: '' },
        {
          client: 'test',
          initialPath: null,
        },
      );
      expect(result.ok).toBe(false);
      expect(seen).toEqual([]);
    });
  });
});

describe('host channels (the same calls aimed at one fleet host)', () => {
  let root: string;
  let backend: Backend;
  const seen: [string, HelperCall, unknown][] = [];
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'tw-forward-'));
    seen.length = 0;
    const fleet: FleetPort = {
      ...noFleet(),
      call: async (host, name, params) => {
        seen.push([host, name, params]);
        return (
          FORWARDED_HELPER_CALLS[name as ForwardedCall] === 'status'
            ? helperStatus()
            : { forwardedFrom: `${host}/${name}` }
        ) as never;
      },
    };
    backend = createBackend({
      host: 'browser',
      version: '0.0.0-test',
      folder: root,
      stateDir: path.join(root, 'state'),
      helperSocket: '/test/helper.sock',
      codec: { read: async () => ({}), writeAtomic: async () => {} } as never,
      helper: {
        connected: () => false,
        status: async () => {
          throw new Error('not asked');
        },
        call: async () => {
          throw new Error('the local helper is not asked');
        },
        onEvent: () => () => {},
        close: async () => {},
      },
      fleet,
    });
  });
  afterEach(async () => {
    await backend.close();
    await rm(root, { recursive: true, force: true });
  });

  it('are named host:<call> and validate the params with the call schema', () => {
    expect(hostChannel('triggered.add')).toBe('host:triggered.add');
    for (const call of FORWARDED_CALLS) expect(appChannels[hostChannel(call)], call).toBeDefined();
  });

  it.each(FORWARDED_CALLS)('%s', async (call) => {
    const result = await backend.handle(
      hostChannel(call),
      { host: 'web-1', params: samples[call] },
      { client: 'test', initialPath: null },
    );
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(seen).toEqual([['web-1', call, samples[call]]]);
    if (!result.ok) return;
    if (FORWARDED_HELPER_CALLS[call] === 'status')
      expect(result.value).toMatchObject({ connected: true, socketPath: 'ssh:web-1' });
    else expect(result.value).toEqual({ forwardedFrom: `web-1/${call}` });
  });

  it('refuses bad params before any host sees them', async () => {
    const result = await backend.handle(
      'host:triggered.add',
      { host: 'web-1', params: { address: '' } },
      { client: 'test', initialPath: null },
    );
    expect(result.ok).toBe(false);
    expect(seen).toEqual([]);
  });

  it('without a fleet: an empty list, other calls refused plainly', async () => {
    const plain = createBackend({
      host: 'browser',
      version: '0.0.0-test',
      folder: root,
      stateDir: path.join(root, 'state2'),
      helperSocket: '/test/helper.sock',
      codec: { read: async () => ({}), writeAtomic: async () => {} } as never,
      helper: {
        connected: () => false,
        status: async () => ({}) as never,
        call: async () => ({}) as never,
        onEvent: () => () => {},
        close: async () => {},
      },
    });
    const context = { client: 'test', initialPath: null };
    expect(await plain.handle('fleet:get', {}, context)).toEqual({
      ok: true,
      value: { path: null, hosts: [] },
    });
    const saved = await plain.handle('fleet:save', { hosts: [] }, context);
    expect(saved.ok).toBe(false);
    if (!saved.ok) expect(saved.error.code).toBe('unsupported');
    await plain.close();
  });
});
