import { describe, expect, it } from 'vitest';
import { createRule } from '../model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../model/types.ts';
import {
  decodeHelperMessage,
  encodeHelperMessage,
  HELPER_CALLS,
  helperCalls,
  MAX_RULE_DEPTH,
  parseHelperRequest,
  ruleDepth,
} from './helper-protocol.ts';

const doc = (): FirewallDocument => ({
  rules: [
    createRule({
      id: 'r1',
      property: 'Dest port',
      value: '22',
      action: 'Pass',
      children: [createRule({ id: 'r2', property: 'Any', action: 'Log' })],
    }),
  ],
  settings: { ...DEFAULT_SETTINGS },
});

const req = (call: string, params?: unknown, id: unknown = 1) => ({ id, call, params });

describe('parseHelperRequest', () => {
  it('accepts every call with empty or minimal params and types them', () => {
    const minimal: Record<string, unknown> = {
      apply: { document: doc() },
      'triggered.add': { address: '10.0.0.1' },
      'triggered.remove': { address: '10.0.0.1' },
      'triggered.import': { text: '' },
    };
    for (const call of HELPER_CALLS) {
      const parsed = parseHelperRequest(req(call, minimal[call] ?? {}));
      expect(parsed.ok, call).toBe(true);
    }
  });

  it('treats missing params as empty', () => {
    const parsed = parseHelperRequest({ id: 3, call: 'status' });
    expect(parsed).toMatchObject({ ok: true, request: { id: 3, call: 'status', params: {} } });
  });

  it('names the envelope field that is wrong', () => {
    expect(parseHelperRequest(null)).toMatchObject({
      ok: false,
      id: null,
      error: { code: 'bad-request' },
    });
    expect(parseHelperRequest([1, 2])).toMatchObject({ ok: false, id: null });
    expect(parseHelperRequest({ call: 'status' })).toMatchObject({
      ok: false,
      error: { field: 'id' },
    });
    expect(parseHelperRequest({ id: 1.5, call: 'status' })).toMatchObject({
      ok: false,
      id: null,
      error: { field: 'id' },
    });
    expect(parseHelperRequest({ id: 1, call: 7 })).toMatchObject({
      ok: false,
      id: 1,
      error: { field: 'call' },
    });
    const extra = parseHelperRequest({ id: 1, call: 'status', params: {}, sneaky: true });
    expect(extra).toMatchObject({ ok: false, id: 1, error: { code: 'bad-request' } });
    expect(!extra.ok && extra.error.message).toContain('sneaky');
  });

  it('refuses unknown calls, listing the known ones', () => {
    const parsed = parseHelperRequest(req('rm -rf', {}, 'abc'));
    expect(parsed).toMatchObject({
      ok: false,
      id: 'abc',
      error: { code: 'unknown-call', field: 'call' },
    });
    expect(!parsed.ok && parsed.error.message).toContain('triggered.list');
    // Prototype keys are not calls.
    expect(parseHelperRequest(req('constructor'))).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    });
    expect(parseHelperRequest(req('__proto__'))).toMatchObject({
      ok: false,
      error: { code: 'unknown-call' },
    });
  });

  it('names the param that has the wrong type', () => {
    const cases: [string, unknown, string][] = [
      ['countersSubscribe', { intervalMs: 50 }, 'params.intervalMs'],
      ['countersSubscribe', { intervalMs: '1000' }, 'params.intervalMs'],
      ['triggered.add', { address: 5 }, 'params.address'],
      ['triggered.add', { address: '10.0.0.1', type: 'friend' }, 'params.type'],
      ['triggered.add', { address: '10.0.0.1', durationSeconds: -1 }, 'params.durationSeconds'],
      ['apply', { document: doc(), confirmTimeoutSeconds: 0 }, 'params.confirmTimeoutSeconds'],
      ['apply', {}, 'params.document'],
      ['status', { verbose: true }, 'params.verbose'],
      ['status', 'x', 'params'],
    ];
    for (const [call, params, field] of cases) {
      const parsed = parseHelperRequest(req(call, params));
      expect(parsed, `${call} ${JSON.stringify(params)}`).toMatchObject({
        ok: false,
        id: 1,
        error: { code: 'bad-request', field },
      });
    }
  });

  it('refuses a half-valid document, naming the rule field', () => {
    const bad = doc() as unknown as { rules: { children: Record<string, unknown>[] }[] };
    bad.rules[0]!.children[0]!.action = 'Explode';
    expect(parseHelperRequest(req('apply', { document: bad }))).toMatchObject({
      ok: false,
      error: { field: 'params.document.rules.0.children.0.action' },
    });
    const noId = doc() as unknown as { rules: Record<string, unknown>[] };
    noId.rules[0]!.id = 'has space';
    expect(parseHelperRequest(req('apply', { document: noId }))).toMatchObject({
      ok: false,
      error: { field: 'params.document.rules.0.id' },
    });
    const extraKey = doc() as unknown as { rules: Record<string, unknown>[] };
    extraKey.rules[0]!.nft = 'flush ruleset';
    expect(parseHelperRequest(req('apply', { document: extraKey }))).toMatchObject({
      ok: false,
      error: { field: 'params.document.rules.0.nft' },
    });
    const noSettings = { rules: [] };
    expect(parseHelperRequest(req('apply', { document: noSettings }))).toMatchObject({
      ok: false,
      error: { field: 'params.document.settings' },
    });
  });

  it('refuses documents nested deeper than the limit without recursing', () => {
    let rule = createRule({ id: 'leaf' });
    for (let i = 0; i < 10_000; i++) rule = createRule({ id: `n${i}`, children: [rule] });
    const parsed = parseHelperRequest(
      req('apply', { document: { rules: [rule], settings: DEFAULT_SETTINGS } }),
    );
    expect(parsed).toMatchObject({ ok: false, error: { field: 'params.document.rules' } });
    expect(ruleDepth([rule])).toBeGreaterThan(MAX_RULE_DEPTH);
    expect(ruleDepth(doc().rules)).toBe(2);
    expect(ruleDepth([])).toBe(0);
  });
});

describe('wire encoding', () => {
  it('round-trips documents with Date and data extras', () => {
    const d = doc();
    d.extra = { when: new Date('2026-01-02T03:04:05.000Z'), blob: new Uint8Array([0, 1, 255]) };
    const line = encodeHelperMessage({ id: 1, call: 'apply', params: { document: d } });
    expect(line).not.toContain('\n');
    const parsed = parseHelperRequest(decodeHelperMessage(line));
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.request.call === 'apply')
      expect(parsed.request.params.document).toEqual(d);
  });

  it('throws on malformed JSON', () => {
    expect(() => decodeHelperMessage('{"id":1,')).toThrow();
  });
});

describe('results', () => {
  it('every call has a params and a result schema', () => {
    for (const call of HELPER_CALLS) {
      expect(helperCalls[call].params).toBeDefined();
      expect(helperCalls[call].result).toBeDefined();
    }
  });
});
