import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRule } from '../model/tree.ts';
import {
  DEFAULT_SETTINGS,
  RULE_FIELDS,
  SETTING_KEYS,
  type FirewallDocument,
} from '../model/types.ts';
import { ACTION_NAMES, PROPERTY_NAMES, RELATION_NAMES } from '../model/vocabulary.ts';
import { ruleTree } from '../plist/test-arbitraries.ts';
import {
  decodeHelperMessage,
  documentSchema,
  encodeHelperMessage,
  isDocumentFast,
  HELPER_CALLS,
  helperCalls,
  MAX_NESTING,
  MAX_RULE_DEPTH,
  documentNestingError,
  nestingError,
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
      revertPending: { appliedAt: '2026-12-07T12:00:00.000Z' },
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

  it('carries quotes and newlines in names as data, and refuses a name that is too long', () => {
    const d = doc();
    d.rules[0]!.name = 'say "hi"\n\'; flush ruleset\r\n# done';
    const line = encodeHelperMessage(req('apply', { document: d }));
    expect(line).not.toContain('\n');
    const parsed = parseHelperRequest(decodeHelperMessage(line));
    expect(parsed.ok && parsed.request.call === 'apply' && parsed.request.params.document).toEqual(
      d,
    );
    d.rules[0]!.children[0]!.name = 'x'.repeat(4097);
    expect(parseHelperRequest(req('apply', { document: d }))).toMatchObject({
      ok: false,
      error: { code: 'bad-request', field: 'params.document.rules.0.children.0.name' },
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

describe('the apply fast path', () => {
  const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', 'a'.repeat(4096)));
  const ruleArb = fc.letrec<{ rule: Record<string, unknown> }>((tie) => ({
    rule: fc.record(
      {
        id: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
        enabled: fc.boolean(),
        name: text,
        property: fc.constantFrom(...PROPERTY_NAMES),
        relation: fc.constantFrom(...RELATION_NAMES),
        value: text,
        action: fc.constantFrom(...ACTION_NAMES),
        parameter: text,
        children: fc.oneof(
          { maxDepth: 3, depthIdentifier: 'rules' },
          fc.array(tie('rule'), { maxLength: 0 }),
          fc.array(tie('rule'), { maxLength: 3 }),
        ),
        expanded: fc.boolean(),
        extra: fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer()), {
          noNullPrototype: true,
        }),
      },
      {
        noNullPrototype: true,
        requiredKeys: [
          'id',
          'enabled',
          'name',
          'property',
          'relation',
          'value',
          'action',
          'parameter',
          'children',
          'expanded',
        ],
      },
    ),
  })).rule;
  const plain = { noNullPrototype: true };
  const docArb = fc.record(
    {
      rules: fc.array(ruleArb, { maxLength: 4 }),
      settings: fc.record(
        {
          firewallOn: fc.boolean(),
          defaultTriggerDuration: fc.nat(),
          defaultPolicy: fc.constantFrom('pass', 'delete'),
          selectedStatistic: fc.constantFrom('none', 'matchCount', 'bitRate'),
          externalInterfaces: fc.array(fc.string({ maxLength: 64 }), { maxLength: 2 }),
          internalInterfaces: fc.array(fc.string({ maxLength: 64 }), { maxLength: 2 }),
        },
        plain,
      ),
    },
    plain,
  );
  // Anything a hostile or broken client could put in a field.
  const junk = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(0.5, 3601, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity),
    fc.string({ maxLength: 5 }),
    fc.constant('x'.repeat(4097)),
    fc.constant('has space'),
    fc.constantFrom(...PROPERTY_NAMES, ...ACTION_NAMES, 'pass', 'none'),
    fc.constant([]),
    fc.constant({}),
    fc.constant(new Date(0)),
    fc.constant(new Uint8Array(2)),
    fc.constant(Object.create(null) as object),
  );
  const key = fc.oneof(
    fc.constantFrom<string>(
      ...RULE_FIELDS,
      ...SETTING_KEYS,
      'rules',
      'settings',
      '__proto__',
      'nft',
    ),
    fc.string({ maxLength: 4 }),
  );
  /** Every object and array in the document, for a mutation to land in. */
  const containers = (v: unknown, out: object[] = []): object[] => {
    if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
      out.push(v);
      for (const x of Object.values(v)) containers(x, out);
    }
    return out;
  };

  it('says yes to valid documents, and zod agrees', () => {
    fc.assert(
      fc.property(docArb, (d) => {
        expect(isDocumentFast(d)).toBe(true);
        expect(documentSchema.safeParse(d).success).toBe(true);
        const parsed = parseHelperRequest(req('apply', { document: d, confirmTimeoutSeconds: 5 }));
        expect(parsed.ok && parsed.request.params).toEqual({
          document: d,
          confirmTimeoutSeconds: 5,
        });
      }),
      { numRuns: 200 },
    );
  });

  it('never says yes to a document zod refuses', () => {
    fc.assert(
      fc.property(
        docArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(), key, junk, fc.nat(3)), {
          minLength: 1,
          maxLength: 3,
        }),
        (d, mutations) => {
          for (const [at, which, otherKey, junkValue, how] of mutations) {
            // A fresh object each time (fc.constant hands out one instance: no cycles).
            const v = Array.isArray(junkValue)
              ? []
              : junkValue && typeof junkValue === 'object' && !ArrayBuffer.isView(junkValue)
                ? junkValue instanceof Date
                  ? new Date(0)
                  : Object.getPrototypeOf(junkValue) === null
                    ? (Object.create(null) as object)
                    : {}
                : junkValue;
            const all = containers(d);
            const target = all[at % all.length] as Record<string, unknown>;
            // Mostly a key the object has (a wrong value where a right one was), else any key.
            const own = Object.keys(target);
            const k = how > 0 && own.length > 0 ? own[which % own.length]! : otherKey;
            if (how === 3) delete target[k];
            else if (k === '__proto__')
              Object.defineProperty(target, k, {
                value: v,
                enumerable: true,
                configurable: true,
                writable: true,
              });
            else target[k] = v;
          }
          if (isDocumentFast(d)) expect(documentSchema.safeParse(d).success).toBe(true);
          // And the request as a whole: whatever the fast path lets through, zod would have.
          const parsed = parseHelperRequest(req('apply', { document: d }));
          if (parsed.ok)
            expect(helperCalls.apply.params.safeParse({ document: d }).success).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('one nesting limit for every value (issue 12, item 1)', () => {
  /** `{a: {a: ... 1}}` with `depth` objects, built without recursion. */
  const nested = (depth: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };

  it('measures depth iteratively, arrays and objects alike, dates and bytes as leaves', () => {
    expect(nestingError(1)).toBeNull();
    expect(nestingError(nested(MAX_NESTING))).toBeNull();
    expect(nestingError(nested(MAX_NESTING + 1))).toBe('a.a.a.a.a.a.a.a...');
    expect(nestingError([[[1]]], 3)).toBeNull();
    expect(nestingError([[[[1]]]], 3)).toBe('0.0.0');
    expect(nestingError({ d: new Date(0), b: new Uint8Array(4) }, 2)).toBeNull();
    // A million levels: no stack involved.
    expect(nestingError(nested(1_000_000))).not.toBeNull();
  });

  it('gives the same answer for a document walking its rule tree (documentNestingError)', () => {
    /** A chain of `depth` rules, each the only child of the one before. */
    const chain = (depth: number, extra?: FirewallDocument['extra']) => {
      let rules = [createRule({ id: `r${depth}`, ...(extra ? { extra } : {}) })];
      for (let i = depth - 1; i > 0; i--) {
        rules = [createRule({ id: `r${i}`, action: 'Group', children: rules })];
      }
      return rules;
    };
    fc.assert(
      fc.property(
        fc.oneof(
          ruleTree('xml'),
          fc.integer({ min: 1, max: 8 }).map((d) => chain(d)),
          fc.integer({ min: 1, max: 8 }).map((d) => chain(d, { x: nested(3) as never })),
        ),
        fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        fc.integer({ min: 1, max: 20 }),
        (rules, extraDepth, limit) => {
          const document: FirewallDocument = {
            rules,
            settings: DEFAULT_SETTINGS,
            ...(extraDepth !== undefined ? { extra: { x: nested(extraDepth) as never } } : {}),
          };
          expect(documentNestingError(document, limit)).toBe(nestingError(document, limit));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a deep document or rule extra with a bad-request naming the field, without throwing', () => {
    for (const depth of [MAX_NESTING, 2_000, 200_000]) {
      const d = doc();
      d.extra = { x: nested(depth) as never };
      const r = doc();
      r.rules[0]!.extra = { x: nested(depth) as never };
      for (const [document, field] of [
        [d, 'params.document.extra.x.a.a.a.a.a...'],
        [r, 'params.document.rules.0.extra.x.a.a.a...'],
      ] as const) {
        const parsed = parseHelperRequest(req('apply', { document }));
        expect(parsed).toMatchObject({ ok: false, error: { code: 'bad-request', field } });
      }
    }
    // The deepest allowed: params(1) > document(2) > extra(3) > x(4) ... = MAX_NESTING.
    const ok = doc();
    ok.extra = { x: nested(MAX_NESTING - 3) as never };
    expect(parseHelperRequest(req('apply', { document: ok })).ok).toBe(true);
    // Any call, any params.
    expect(parseHelperRequest(req('status', nested(5000)))).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });
});
