import { beforeEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/ipc/app-api.ts';
import { eventsToText, filterEvents, MAX_EVENTS, TEXT_HEADER, useLogStore } from './log-store.ts';

const ev = (n: number, patch: Partial<LogEvent> = {}): LogEvent => ({
  time: `2026-11-23T12:00:${String(n % 60).padStart(2, '0')}.000Z`,
  ruleId: 'r17',
  ruleNumber: '2.6.1.1.17',
  action: 'Delete',
  direction: 'inbound',
  inInterface: 'eth0',
  outInterface: null,
  protocol: 'tcp',
  src: `10.0.0.${n % 250}`,
  dst: '10.0.1.1',
  srcPort: 40000 + n,
  dstPort: 80,
  length: 60,
  ...patch,
});

const s = () => useLogStore.getState();

beforeEach(() => {
  s().clear();
  s().setPaused(false);
  s().setFilters({ rule: '', action: '', address: '', protocol: '' });
});

describe('log store', () => {
  it('keeps the newest first and at most MAX_EVENTS', () => {
    s().add([ev(1), ev(2)]);
    s().add([ev(3)]);
    expect(s().events.map((e) => e.srcPort)).toEqual([40003, 40002, 40001]);
    s().add(Array.from({ length: MAX_EVENTS }, (_, i) => ev(i + 10)));
    expect(s().events.length).toBe(MAX_EVENTS);
    expect(s().events[0]?.srcPort).toBe(40000 + MAX_EVENTS + 9);
  });

  it('holds new events while paused and shows them on resume', () => {
    s().add([ev(1)]);
    s().setPaused(true);
    s().add([ev(2), ev(3)]);
    expect(s().events.length).toBe(1);
    expect(s().pending.length).toBe(2);
    s().setPaused(false);
    expect(s().events.map((e) => e.srcPort)).toEqual([40003, 40002, 40001]);
    expect(s().pending.length).toBe(0);
  });

  it('filters by rule number prefix or id, action, address and protocol', () => {
    const events = [
      ev(1),
      ev(2, { ruleId: 'r5', ruleNumber: '2.1.5.1', action: 'Trigger', protocol: 'udp' }),
      ev(3, { ruleId: 'r26', ruleNumber: '2.6', src: 'fd00::3' }),
    ].map((e, i) => ({ ...e, seq: i }));
    const f = (patch: object) =>
      filterEvents(events, { rule: '', action: '', address: '', protocol: '', ...patch }).map(
        (e) => e.seq,
      );
    expect(f({})).toEqual([0, 1, 2]);
    expect(f({ rule: '2.6' })).toEqual([0, 2]);
    expect(f({ rule: '2.6.1' })).toEqual([0]);
    expect(f({ rule: 'r5' })).toEqual([1]);
    expect(f({ action: 'Trigger' })).toEqual([1]);
    expect(f({ protocol: 'tcp' })).toEqual([0, 2]);
    expect(f({ address: 'FD00:' })).toEqual([2]);
    expect(f({ address: '10.0.1.1', rule: '2.1' })).toEqual([1]);
  });

  it('exports tab-separated text with a header', () => {
    const text = eventsToText([
      ev(1),
      ev(2, { src: 'fd00::2', srcPort: null, protocol: 'ipv6-icmp', dstPort: null }),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(TEXT_HEADER);
    expect(lines[1]?.split('\t')).toEqual([
      '2026-11-23T12:00:01.000Z',
      '2.6.1.1.17',
      'Delete',
      'inbound',
      'eth0',
      'tcp',
      '10.0.0.1:40001',
      '10.0.1.1:80',
      '60',
    ]);
    expect(lines[2]?.split('\t').slice(5, 8)).toEqual(['ipv6-icmp', 'fd00::2', '10.0.1.1']);
  });
});
