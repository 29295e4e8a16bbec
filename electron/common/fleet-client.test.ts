import { describe, expect, it } from 'vitest';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument } from '../../shared/model/types.ts';
import { documentFingerprint, FleetClient } from './fleet-client.ts';

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
