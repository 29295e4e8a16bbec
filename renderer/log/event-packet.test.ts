import { describe, expect, it } from 'vitest';
import { buildDefaultDocument } from '../../resources/default-document.ts';
import { evaluate } from '../../shared/evaluator/index.ts';
import type { LogEvent } from '../../shared/ipc/app-api.ts';
import { findById } from '../../shared/model/tree.ts';
import type { FirewallDocument, Rule } from '../../shared/model/types.ts';
import { eventToPacket, eventToSpec, proposalTests, proposeRule } from './event-packet.ts';

const event = (patch: Partial<LogEvent>): LogEvent => ({
  time: '2026-11-23T12:00:00.000Z',
  ruleId: 'd-2-6-1-1-17',
  ruleNumber: '2.6.1.1.17',
  action: 'Delete',
  direction: 'inbound',
  inInterface: 'eth0',
  outInterface: null,
  protocol: 'tcp',
  src: '10.77.0.1',
  dst: '10.77.0.2',
  srcPort: 45000,
  dstPort: 80,
  length: 60,
  ...patch,
});

const enable = (rules: Rule[], ids: ReadonlySet<string>): Rule[] =>
  rules.map((r) => ({
    ...r,
    enabled: r.enabled || ids.has(r.id),
    children: enable(r.children, ids),
  }));

function protectServers(): FirewallDocument {
  const doc = buildDefaultDocument();
  return {
    ...doc,
    settings: { ...doc.settings, externalInterfaces: ['eth0'] },
    rules: enable(doc.rules, new Set(['d-2-6', 'd-2-6-1-1-2'])),
  };
}

describe('log events as packets', () => {
  it('writes the simulator line of TCP (as a SYN), UDP, ICMP and IPv6 events', () => {
    expect(eventToSpec(event({}))).toEqual({
      ok: true,
      value: 'in eth0 tcp 10.77.0.1:45000 > 10.77.0.2:80 flags syn len 60',
    });
    expect(eventToSpec(event({ protocol: 'udp', dstPort: 53 }))).toMatchObject({
      value: 'in eth0 udp 10.77.0.1:45000 > 10.77.0.2:53 len 60',
    });
    expect(
      eventToSpec(event({ protocol: 'icmp', srcPort: null, dstPort: null, length: 84 })),
    ).toMatchObject({ value: 'in eth0 icmp 10.77.0.1 > 10.77.0.2 type 8 len 84' });
    const v6 = eventToPacket(
      event({
        src: 'fd77::1',
        dst: 'fd77::2',
        direction: 'outbound',
        inInterface: null,
        outInterface: 'eth0',
      }),
    );
    expect(v6).toMatchObject({
      ok: true,
      value: { ipVersion: 6, direction: 'outbound', dstPort: 80 },
    });
    expect(eventToSpec(event({ src: null }))).toMatchObject({ ok: false });
  });

  it('offers a port test only where there are ports', () => {
    expect(proposalTests(event({}))).toEqual(['source', 'port', 'protocol']);
    expect(proposalTests(event({ protocol: 'icmp', dstPort: null }))).toEqual([
      'source',
      'protocol',
    ]);
  });
});

describe('make a rule from this', () => {
  it('goes right before the rule that deleted the packet, and passes it there', () => {
    const doc = protectServers();
    const p = proposeRule(doc, event({}), 'source', 'Pass');
    if (!p.ok) throw new Error(p.error);
    expect(p.value.before.verdict).toBe('delete');
    expect(p.value.beforeId).toBe('d-2-6-1-1-17');
    expect(p.value.rule).toMatchObject({
      property: 'Source net',
      value: '10.77.0.1/32',
      action: 'Pass',
    });
    // Inserted as the sibling just above 2.6.1.1.17, inside the same parent.
    const parent = findById(p.value.rules, 'd-2-6-1-1')!;
    const ids = parent.children.map((r) => r.id);
    expect(ids.indexOf(p.value.rule.id)).toBe(ids.indexOf('d-2-6-1-1-17') - 1);
    expect(p.value.after).toMatchObject({ verdict: 'pass', verdictRuleId: p.value.rule.id });
    // The document given is not changed.
    expect(findById(doc.rules, p.value.rule.id)).toBeUndefined();
  });

  it('goes at the end of the top level when no rule decided the packet', () => {
    const doc = protectServers();
    // An outbound packet: nothing in the default document decides it (default policy: pass).
    const e = event({
      direction: 'outbound',
      inInterface: null,
      outInterface: 'eth0',
      action: 'Log',
    });
    const p = proposeRule(doc, e, 'port', 'Delete');
    if (!p.ok) throw new Error(p.error);
    expect(p.value.beforeId).toBeNull();
    expect(p.value.rules[p.value.rules.length - 1]).toBe(p.value.rule);
    expect(p.value.rule).toMatchObject({ property: 'Dest port', value: '80' });
    expect(p.value.after.verdict).toBe('delete');
    const packet = eventToPacket(e);
    if (!packet.ok) throw new Error(packet.error);
    expect(evaluate({ ...doc, rules: p.value.rules }, packet.value).matched).toContain(
      p.value.rule.id,
    );
  });
});
