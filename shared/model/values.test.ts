import { describe, expect, it } from 'vitest';
import { parseValue, stripComment, type ParsedValue } from './values.ts';
import type { PropertyName } from './vocabulary.ts';

const value = (property: PropertyName, text: string): ParsedValue => {
  const r = parseValue(property, text);
  if (!r.ok) throw new Error(`expected ${property} "${text}" to parse: ${r.error}`);
  return r.value;
};
const error = (property: PropertyName, text: string): string => {
  const r = parseValue(property, text);
  if (r.ok)
    throw new Error(
      `expected ${property} "${text}" to fail, got ${JSON.stringify(r.value, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  return r.error;
};
const range = (min: number, max = min) => ({ kind: 'range', range: { min, max } });

describe('stripComment', () => {
  it.each([
    ['23 (Telnet)', '23'],
    ['6 (TCP)', '6'],
    ['3,9 (source route)', '3,9'],
    ['8 (echo request) (ping)', '8'],
    ['  80  ', '80'],
    ['(only a comment)', '(only a comment)'],
  ])('%s -> %s', (input, out) => expect(stripComment(input)).toBe(out));
});

describe('ports and numeric ranges', () => {
  it('reads numbers, ranges, names and IPNetSentryX comments', () => {
    expect(value('Dest port', '23 (Telnet)')).toEqual(range(23));
    expect(value('Dest port', '137-139')).toEqual(range(137, 139));
    expect(value('Dest port', '137 - 139 (NetBIOS)')).toEqual(range(137, 139));
    expect(value('Source port', 'ssh')).toEqual(range(22));
    expect(value('Source port', 'ftp-data')).toEqual(range(20));
    expect(value('Dest port', '0')).toEqual(range(0));
    expect(value('Dest port', '65535')).toEqual(range(65535));
    expect(value('Dest port', 'http-https')).toEqual(range(80, 443));
  });
  it('says what is wrong', () => {
    expect(error('Dest port', '70000')).toBe('Dest port 70000 is out of range (0-65535)');
    expect(error('Source port', '1-70000')).toBe('Source port 70000 is out of range (0-65535)');
    expect(error('Dest port', '-1')).toBe('Dest port -1 is out of range (0-65535)');
    expect(error('Dest port', '139-137')).toBe('Dest port range 139-137 ends before it starts');
    expect(error('Dest port', 'gopherish')).toBe(
      'Dest port "gopherish" is not a number or service name',
    );
    expect(error('Dest port', '')).toBe('Dest port is empty');
    expect(error('Fragment offset', '8192')).toBe('Fragment offset 8192 is out of range (0-8191)');
    expect(error('TTL', '256')).toBe('TTL 256 is out of range (0-255)');
    expect(error('DSCP', '64')).toBe('DSCP 64 is out of range (0-63)');
  });
  it('reads ICMP types, DSCP names and numeric ids', () => {
    expect(value('ICMP type', '8 (echo request)')).toEqual(range(8));
    expect(value('ICMP type', 'echo-request')).toEqual(range(8));
    expect(value('ICMP type', 'Time Exceeded')).toEqual(range(11));
    expect(value('ICMP code', '3')).toEqual(range(3));
    expect(value('DSCP', 'ef')).toEqual(range(46));
    expect(value('DSCP', 'af41')).toEqual(range(34));
    expect(value('Owner UID', '1000')).toEqual(range(1000));
    expect(value('Packet length', '0-64')).toEqual(range(0, 64));
    expect(error('Owner UID', 'root')).toBe(
      'Owner UID "root" is not a number (user names are not resolved: use the number)',
    );
    expect(error('Owner GID', '4294967295')).toBe(
      'Owner GID 4294967295 is out of range (0-4294967294)',
    );
  });
  it('reads counts and idle seconds with units', () => {
    expect(value('Parent match count', '50')).toEqual(range(50));
    expect(value('Idle seconds', '200')).toEqual(range(200));
    expect(value('Idle seconds', '3 min')).toEqual(range(180));
    expect(value('Parent idle seconds', '1h')).toEqual(range(3600));
    expect(error('Idle seconds', 'later')).toMatch(
      /^Idle seconds "later" is not a number of seconds/,
    );
  });
});

describe('addresses', () => {
  const addr = (text: string, property: PropertyName = 'Source net') => {
    const v = value(property, text);
    if (v.kind !== 'address') throw new Error('not an address');
    return v.match;
  };
  it('reads IPv4 single, range and prefix', () => {
    expect(addr('192.168.0.2')).toEqual({
      family: 4,
      kind: 'single',
      address: '192.168.0.2',
      first: 0xc0a80002n,
      last: 0xc0a80002n,
    });
    expect(addr('10.0.0.1-10.0.0.9')).toMatchObject({
      kind: 'range',
      address: '10.0.0.1',
      end: '10.0.0.9',
      first: 0x0a000001n,
      last: 0x0a000009n,
    });
    expect(addr('127.0.0.0/8')).toMatchObject({
      kind: 'prefix',
      address: '127.0.0.0',
      prefixLength: 8,
      first: 0x7f000000n,
      last: 0x7fffffffn,
    });
    expect(addr('0.0.0.0/0')).toMatchObject({ first: 0n, last: 0xffffffffn });
  });
  it('normalises host bits in a prefix and reads dotted netmasks', () => {
    expect(addr('10.1.2.3/8')).toMatchObject({ address: '10.0.0.0', prefixLength: 8 });
    expect(addr('192.168.7.9/255.255.255.0')).toMatchObject({
      address: '192.168.7.0',
      prefixLength: 24,
    });
  });
  it('reads IPv6 in every spelling and prints RFC 5952 text', () => {
    expect(addr('::1')).toMatchObject({ family: 6, address: '::1', first: 1n });
    expect(addr('::')).toMatchObject({ address: '::', first: 0n });
    expect(addr('2001:DB8:0:0:1:0:0:1')).toMatchObject({ address: '2001:db8::1:0:0:1' });
    expect(addr('2001:db8:0000:0:0:0:0:1')).toMatchObject({ address: '2001:db8::1' });
    expect(addr('2001:db8:0:1:1:1:1:1')).toMatchObject({ address: '2001:db8:0:1:1:1:1:1' });
    expect(addr('::ffff:192.0.2.1')).toMatchObject({
      address: '::ffff:192.0.2.1',
      first: 0xffffc0000201n,
    });
    expect(addr('fe80::/10', 'Dest net')).toMatchObject({
      kind: 'prefix',
      address: 'fe80::',
      prefixLength: 10,
    });
    expect(addr('2001:db8::1-2001:db8::ff')).toMatchObject({ kind: 'range', end: '2001:db8::ff' });
  });
  it('refuses what is not an address', () => {
    expect(error('Source net', '10.0.0.300')).toBe(
      'Source net 10.0.0.300 is not an IPv4 or IPv6 address',
    );
    expect(error('Dest net', '10.0.0.0/33')).toBe(
      'Dest net prefix length 33 is out of range (0-32)',
    );
    expect(error('Dest net', '::/129')).toBe('Dest net prefix length 129 is out of range (0-128)');
    expect(error('Source net', '10.0.0.9-10.0.0.1')).toBe(
      'Source net range 10.0.0.9-10.0.0.1 ends before it starts',
    );
    expect(error('Source net', '10.0.0.1-::1')).toBe(
      'Source net range 10.0.0.1-::1 mixes IPv4 and IPv6',
    );
    expect(error('Source net', '1:2:3:4:5:6:7:8:9')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(error('Source net', '1::2::3')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(error('Source net', 'fe80::1%eth0')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(error('Source net', '10.0.0.0/255.0.255.0')).toMatch(/prefix length/);
    expect(error('Source net', '')).toMatch(/is empty/);
  });
});

describe('names, lists and flags', () => {
  it('reads protocols by number and name', () => {
    expect(value('Protocol', '6 (TCP)')).toEqual({ kind: 'protocol', number: 6, name: 'tcp' });
    expect(value('Protocol', 'UDP')).toEqual({ kind: 'protocol', number: 17, name: 'udp' });
    expect(value('Protocol', 'icmpv6')).toEqual({
      kind: 'protocol',
      number: 58,
      name: 'ipv6-icmp',
    });
    expect(value('Protocol', '253')).toEqual({ kind: 'protocol', number: 253 });
    expect(error('Protocol', '256')).toBe('Protocol 256 is out of range (0-255)');
    expect(error('Protocol', 'tcpp')).toBe('Protocol "tcpp" is not a protocol number or name');
  });
  it('reads TCP flags: listed on, - off', () => {
    expect(value('TCP header flags', 'syn,-ack')).toEqual({
      kind: 'tcpFlags',
      on: ['syn'],
      off: ['ack'],
    });
    expect(value('TCP header flags', 'rst')).toEqual({ kind: 'tcpFlags', on: ['rst'], off: [] });
    expect(value('TCP header flags', 'ACK, FIN, -syn')).toEqual({
      kind: 'tcpFlags',
      on: ['fin', 'ack'],
      off: ['syn'],
    });
    expect(error('TCP header flags', 'syn,-syn')).toBe('TCP header flags syn is both on and off');
    expect(error('TCP header flags', 'xmas')).toMatch(/^TCP header flags "xmas" is not a TCP flag/);
  });
  it('reads IP and TCP options', () => {
    expect(value('IP options', '3,9 (source route)')).toEqual({
      kind: 'ipOptions',
      options: [3, 9],
    });
    expect(value('IP options', 'record route')).toEqual({ kind: 'ipOptions', options: [7] });
    expect(value('TCP options', 'mss, sack')).toEqual({ kind: 'tcpOptions', options: [2, 5] });
    expect(error('IP options', '32')).toBe('IP options 32 is out of range (0-31)');
  });
  it('reads interfaces: names, wildcards, attributes, IPNetSentryX display names', () => {
    expect(value('Interface', 'Loopback (lo0)')).toEqual({ kind: 'interface', name: 'lo' });
    expect(value('Interface', 'lo0')).toEqual({ kind: 'interface', name: 'lo' });
    expect(value('Interface', 'en0 (Built-in Ethernet)')).toEqual({
      kind: 'interface',
      name: 'en0',
    });
    expect(value('Interface', 'wg*')).toEqual({ kind: 'interface', name: 'wg*' });
    expect(value('Interface', 'external')).toEqual({
      kind: 'interfaceAttribute',
      attribute: 'external',
    });
    expect(value('Interface', 'Internal')).toEqual({
      kind: 'interfaceAttribute',
      attribute: 'internal',
    });
    expect(error('Interface', 'a-very-long-interface-name')).toMatch(/is not an interface name/);
    expect(error('Interface', 'eth 0')).toMatch(/is not an interface name/);
  });
  it('reads direction, include, MAC, connection state and IP version', () => {
    expect(value('Direction', 'Inbound')).toEqual({ kind: 'direction', direction: 'inbound' });
    expect(error('Direction', 'sideways')).toBe('Direction "sideways" is not inbound or outbound');
    expect(value('Include', 'triggered')).toEqual({ kind: 'include', table: 'triggered' });
    expect(value('Include', 'authorize')).toEqual({ kind: 'include', table: 'authorized' });
    expect(value('Source MAC Address', '0:1B:63:a:bc:DE')).toEqual({
      kind: 'mac',
      mac: '00:1b:63:0a:bc:de',
    });
    expect(error('Dest MAC Address', '00:11:22:33:44')).toMatch(/is not a MAC address/);
    expect(value('Connection state', 'related, established')).toEqual({
      kind: 'connectionState',
      states: ['established', 'related'],
    });
    expect(error('Connection state', 'open')).toMatch(/"open" is not one of new/);
    expect(value('IP version', 'IPv6')).toEqual({ kind: 'ipVersion', version: 6 });
    expect(error('IP version', '5')).toBe('IP version "5" is not 4 or 6');
    expect(value('Any', 'whatever')).toEqual({ kind: 'none' });
  });
});

describe('content, times and rates', () => {
  it('reads text and <hex> content, keeping parentheses', () => {
    const text = value('Data content', 'GET /default.ida?(x)');
    expect(text).toMatchObject({ kind: 'content', text: 'GET /default.ida?(x)' });
    if (text.kind === 'content') expect(text.bytes.length).toBe(20);
    const hex = value('Data content', '<0d 0A>');
    if (hex.kind !== 'content') throw new Error('kind');
    expect([...hex.bytes]).toEqual([13, 10]);
    const utf = value('URL keyword', 'é');
    if (utf.kind !== 'content') throw new Error('kind');
    expect([...utf.bytes]).toEqual([0xc3, 0xa9]);
    expect(error('Data content', '<abc>')).toMatch(/even number of hex digits/);
    expect(error('Data content', '')).toBe('Data content is empty');
  });
  it('reads time of day and days of week', () => {
    expect(value('Time of day', '08:00-17:30')).toEqual({
      kind: 'timeOfDay',
      fromMinute: 480,
      toMinute: 1050,
    });
    expect(value('Time of day', '22:00-06:00')).toEqual({
      kind: 'timeOfDay',
      fromMinute: 1320,
      toMinute: 360,
    });
    expect(value('Time of day', '0:00-24:00')).toEqual({
      kind: 'timeOfDay',
      fromMinute: 0,
      toMinute: 1439,
    });
    expect(error('Time of day', '25:00')).toMatch(/is not a time of day/);
    expect(value('Day of week', 'Mon-Fri')).toEqual({ kind: 'dayOfWeek', days: [1, 2, 3, 4, 5] });
    expect(value('Day of week', 'Sat,Sun')).toEqual({ kind: 'dayOfWeek', days: [0, 6] });
    expect(value('Day of week', 'friday-monday')).toEqual({
      kind: 'dayOfWeek',
      days: [0, 1, 5, 6],
    });
    expect(value('Day of week', 'weekend, 3')).toEqual({ kind: 'dayOfWeek', days: [0, 3, 6] });
    expect(error('Day of week', 'Funday')).toMatch(/"funday" is not a day/);
  });
  it('reads ISO date and time', () => {
    expect(value('Date and time', '2026-12-31T18:00:00Z')).toEqual({
      kind: 'dateTime',
      epochSeconds: Date.UTC(2026, 11, 31, 18) / 1000,
      text: '2026-12-31T18:00:00Z',
    });
    expect(value('Date and time', '2026-12-31 19:00+01:00')).toMatchObject({
      epochSeconds: Date.UTC(2026, 11, 31, 18) / 1000,
    });
    expect(value('Date and time', '2026-12-31 18:00')).toMatchObject({
      epochSeconds: new Date(2026, 11, 31, 18).getTime() / 1000,
    });
    expect(error('Date and time', '2026-02-30')).toMatch(/is not a valid date and time/);
    expect(error('Date and time', 'tomorrow')).toMatch(/is not a date and time/);
  });
  it('reads rates', () => {
    expect(value('Rate', '10/s')).toEqual({
      kind: 'rate',
      rate: { amount: 10, unit: 'packets', perSeconds: 1, perSource: false },
    });
    expect(value('Rate', '100/minute per source')).toEqual({
      kind: 'rate',
      rate: { amount: 100, unit: 'packets', perSeconds: 60, perSource: true },
    });
    expect(value('Rate', '1 mbytes/s')).toEqual({
      kind: 'rate',
      rate: { amount: 1048576, unit: 'bytes', perSeconds: 1, perSource: false },
    });
    expect(value('Rate', '8 mbit/s')).toEqual({
      kind: 'rate',
      rate: { amount: 1e6, unit: 'bytes', perSeconds: 1, perSource: false },
    });
    expect(value('Parent match rate', '50')).toMatchObject({ rate: { amount: 50, perSeconds: 1 } });
    expect(error('Rate', '50')).toMatch(/^Rate "50" is not a rate/);
    expect(error('Rate', '5 furlongs/s')).toMatch(/unit "furlongs"/);
    expect(error('Rate', '0/s')).toBe('Rate amount must be more than 0');
  });
});
