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
