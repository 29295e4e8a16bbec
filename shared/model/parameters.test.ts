import { describe, expect, it } from 'vitest';
import { parseParameter, type ParsedParameter } from './values.ts';
import type { ActionName } from './vocabulary.ts';

const param = (action: ActionName, text: string): ParsedParameter => {
  const r = parseParameter(action, text);
  if (!r.ok) throw new Error(`expected ${action} "${text}" to parse: ${r.error}`);
  return r.value;
};
const error = (action: ActionName, text: string): string => {
  const r = parseParameter(action, text);
  if (r.ok) throw new Error(`expected ${action} "${text}" to fail`);
  return r.error;
};
const seconds = (s: number | 'unlimited') => ({ kind: 'duration', seconds: s });

describe('durations', () => {
  it.each([
    ['1 min', 60],
    ['10 min', 600],
    ['1 h', 3600],
    ['10 h', 36000],
    ['1 day', 86400],
    ['10 days', 864000],
    ['90', 90],
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86400],
    ['1 week', 604800],
  ])('Trigger %s = %i s', (text, s) => expect(param('Trigger', text)).toEqual(seconds(s)));

  it('takes unlimited, 0 and empty (the document default)', () => {
    expect(param('Trigger', 'unlimited')).toEqual(seconds('unlimited'));
    expect(param('Keep address', '0')).toEqual(seconds('unlimited'));
    expect(param('Authorize', '')).toEqual({ kind: 'default' });
    // Text that is not a duration is a note (IPNetSentryX kept descriptions there).
    expect(param('Trigger', 'soon')).toEqual({ kind: 'note', text: 'soon' });
    expect(param('Keep invalid', '5 fortnights')).toEqual({ kind: 'note', text: '5 fortnights' });
    expect(error('Trigger', '0.5')).toBe('Trigger duration 0.5 is shorter than 1 second');
    expect(error('Trigger', '40000 days')).toMatch(/longer than the kernel takes/);
  });

  it('reads Delay in fractions of a second, capped', () => {
    expect(param('Delay', '0.5')).toEqual(seconds(0.5));
    expect(param('Delay', '500ms')).toEqual(seconds(0.5));
    expect(param('Delay', '')).toEqual({ kind: 'default' });
    expect(error('Delay', '2 min')).toBe('Delay 2 min is too long (at most 60 seconds)');
    expect(error('Delay', 'unlimited')).toMatch(/is not a duration/);
  });

  it('reads Delay open (the default) or closed: what happens without the queue worker', () => {
    expect(param('Delay', '300ms open')).toEqual(seconds(0.3));
    expect(param('Delay', '300ms closed')).toEqual({ ...seconds(0.3), failClosed: true });
    expect(param('Delay', 'Closed')).toEqual({ ...seconds(0.5), failClosed: true });
    expect(param('Delay', 'open')).toEqual(seconds(0.5));
    expect(error('Delay', '300msclosed')).toMatch(
      /is not a duration .* optionally followed by open or closed/,
    );
    expect(error('Delay', 'closed open')).toMatch(/is not a duration/);
    expect(error('Delay', '90s closed')).toBe('Delay 90s is too long (at most 60 seconds)');
  });
});

describe('other parameters', () => {
  it('reads rates for Rate limit', () => {
    expect(param('Rate limit in', '50/s')).toEqual({
      kind: 'rate',
      rate: { amount: 50, unit: 'packets', perSeconds: 1, perSource: false },
    });
    expect(param('Rate limit out', '1 mbit/s')).toMatchObject({
      rate: { amount: 125000, unit: 'bytes' },
    });
    expect(error('Rate limit in', '')).toMatch(/^Rate limit in needs a rate/);
  });
  it('reads URL and Webhook targets', () => {
    expect(param('URL', 'ping://192.168.0.2')).toEqual({
      kind: 'url',
      scheme: 'ping',
      host: '192.168.0.2',
      url: 'ping://192.168.0.2',
    });
    expect(param('URL', 'tcp://server.local:548')).toMatchObject({
      scheme: 'tcp',
      host: 'server.local',
      port: 548,
    });
    expect(param('URL', 'https://[2001:DB8::1]:8443/health?x=1')).toMatchObject({
      scheme: 'https',
      host: '2001:db8::1',
      port: 8443,
    });
    expect(error('URL', 'tcp://server')).toBe('URL tcp:// needs a port (tcp://host:port)');
    expect(error('URL', 'ping://host:80')).toBe('URL ping:// takes no port');
    expect(error('URL', 'afp://server')).toMatch(/^URL scheme afp:\/\/ is not supported/);
    expect(error('URL', 'http://bad_host!')).toMatch(/is not a (URL|host name)/);
    expect(error('Webhook', 'ping://host')).toMatch(/^Webhook scheme ping:\/\/ is not supported/);
    expect(error('URL', 'http://host:70000/')).toBe('URL port 70000 is out of range (1-65535)');
  });
  it('reads Route to, Port forward and Masquerade', () => {
    expect(param('Route to', '192.168.1.1')).toEqual({
      kind: 'route',
      family: 4,
      address: '192.168.1.1',
    });
    expect(param('Route to', 'eth1')).toEqual({ kind: 'route', interface: 'eth1' });
    expect(param('Route to', 'fe80::1 dev eth1')).toEqual({
      kind: 'route',
      family: 6,
      address: 'fe80::1',
      interface: 'eth1',
    });
    expect(error('Route to', '')).toMatch(/needs a gateway/);
    expect(param('Port forward', '192.168.122.10:22')).toEqual({
      kind: 'forward',
      family: 4,
      address: '192.168.122.10',
      port: 22,
    });
    expect(param('Port forward', '[2001:db8::5]:8080')).toEqual({
      kind: 'forward',
      family: 6,
      address: '2001:db8::5',
      port: 8080,
    });
    expect(param('Port forward', '2001:db8::5')).toEqual({
      kind: 'forward',
      family: 6,
      address: '2001:db8::5',
    });
    expect(param('Port forward', ':3128')).toEqual({ kind: 'forward', port: 3128 });
    expect(error('Port forward', '10.0.0.1:0')).toBe(
      'Port forward port 0 is out of range (1-65535)',
    );
    expect(param('Masquerade', '')).toEqual({ kind: 'none' });
    expect(param('Masquerade', '1024-65535')).toEqual({
      kind: 'portRange',
      range: { min: 1024, max: 65535 },
    });
  });
  it('reads text, e-mail and script parameters', () => {
    expect(param('Log', 'scan')).toEqual({ kind: 'text', text: 'scan' });
    expect(param('Notify', '')).toEqual({ kind: 'text', text: '' });
    expect(error('Alert', 'a\nb')).toMatch(/control character/);
    expect(error('Log', 'x'.repeat(128))).toMatch(/at most 127/);
    expect(param('Email', 'a@example.com, b@example.org')).toEqual({
      kind: 'email',
      addresses: ['a@example.com', 'b@example.org'],
    });
    expect(param('Email', '')).toEqual({ kind: 'email', addresses: [] });
    expect(error('Email', 'nobody@')).toBe('Email "nobody@" is not an e-mail address');
    // Without an @: a description, as the original's documents have.
    expect(param('Email', 'NetTalk server not responding')).toEqual({
      kind: 'note',
      text: 'NetTalk server not responding',
    });
    expect(param('URL', 'check the server')).toEqual({ kind: 'note', text: 'check the server' });
    expect(param('Reset parent', 'restore when it comes back up')).toEqual({
      kind: 'note',
      text: 'restore when it comes back up',
    });
    expect(param('Rate limit in', '100K')).toEqual({
      kind: 'rate',
      rate: { amount: 12500, unit: 'bytes', perSeconds: 1, perSource: false },
    });
    expect(param('Rate limit out', '2M')).toMatchObject({ rate: { amount: 250000 } });
    expect(param('Rate limit out', '8000')).toMatchObject({ rate: { amount: 1000 } });
    expect(param('Script', '/usr/bin/logger -t fw "port scan"')).toEqual({
      kind: 'command',
      path: '/usr/bin/logger',
      args: ['-t', 'fw', 'port scan'],
    });
    expect(param('Script', 'notify.sh x')).toEqual({
      kind: 'command',
      path: 'notify.sh',
      args: ['x'],
    });
    expect(error('Script', '../bin/sh x')).toBe(
      'Script "../bin/sh" leaves the scripts folder (..)',
    );
    expect(error('Script', '/bin/echo "open')).toMatch(/unbalanced quote/);
  });
  it('refuses parameters on actions that take none', () => {
    for (const a of ['->', 'Group', 'Exit group', 'Pass', 'Delete', 'Reject'] as const) {
      expect(param(a, '  ')).toEqual({ kind: 'none' });
      expect(error(a, 'x')).toBe(`${a} takes no parameter (found "x")`);
    }
  });
});

describe('effectiveDuration', () => {
  it('applies the document default and the Delay default', async () => {
    const { effectiveDuration } = await import('./parameters.ts');
    expect(effectiveDuration(param('Trigger', ''), 'Trigger', 3600)).toBe(3600);
    expect(effectiveDuration(param('Trigger', ''), 'Trigger', 0)).toBe('unlimited');
    expect(effectiveDuration(param('Trigger', '10 min'), 'Trigger', 3600)).toBe(600);
    expect(effectiveDuration(param('Trigger', 'ten minutes or so'), 'Trigger', 3600)).toBe(3600);
    expect(effectiveDuration(param('Delay', ''), 'Delay', 3600)).toBe(0.5);
    expect(effectiveDuration(param('Pass', ''), 'Pass', 3600)).toBeUndefined();
  });
});
