import { describe, expect, it } from 'vitest';
import {
  canaryOf,
  parseFleet,
  parseSshTarget,
  selectHosts,
  validateFleet,
  type FleetFile,
} from './fleet.ts';
import { sumCounters } from './results.ts';

describe('parseSshTarget', () => {
  it('reads [user@]host[:port], IPv6 and aliases', () => {
    expect(parseSshTarget('web-1')).toEqual({ user: undefined, host: 'web-1', port: undefined });
    expect(parseSshTarget('root@10.0.0.2:2222')).toEqual({
      user: 'root',
      host: '10.0.0.2',
      port: 2222,
    });
    expect(parseSshTarget('admin@[fd00::2]:22')).toEqual({
      user: 'admin',
      host: 'fd00::2',
      port: 22,
    });
    expect(parseSshTarget('fd00::2')).toEqual({
      user: undefined,
      host: 'fd00::2',
      port: undefined,
    });
  });
  it.each([
    '-oProxyCommand=touch /tmp/x',
    '-p',
    'root@-host',
    'host:0',
    'host:65536',
    'host:22x',
    'a b',
    'host\n',
    '',
    '-@host',
    '[fd00::1',
  ])('refuses %j', (text) => {
    expect(parseSshTarget(text)).toHaveProperty('error');
  });
});

const fleetJson = {
  version: 1,
  hosts: [
    { name: 'gw', address: 'root@10.0.0.1', groups: ['edge'] },
    { name: 'web-1', groups: ['web'] },
    { name: 'web-2', address: 'web-2.example:2200', groups: ['web', 'edge'] },
  ],
  canaries: { web: 'web-2' },
};

describe('the fleet file', () => {
  it('parses, fills defaults and selects by host and group in fleet order', () => {
    const parsed = parseFleet(JSON.stringify(fleetJson));
    if (!('fleet' in parsed)) throw new Error(JSON.stringify(parsed.problems));
    const fleet: FleetFile = parsed.fleet;
    expect(selectHosts(fleet, { groups: ['edge'] }).map((h) => h.name)).toEqual(['gw', 'web-2']);
    expect(selectHosts(fleet, { hosts: ['web-1'], groups: ['edge'] }).map((h) => h.name)).toEqual([
      'gw',
      'web-1',
      'web-2',
    ]);
    expect(selectHosts(fleet, {}).length).toBe(3);
    expect(selectHosts(fleet, { groups: ['all'] }).length).toBe(3);
    expect(() => selectHosts(fleet, { hosts: ['nope'] })).toThrow(/unknown host 'nope'/);
    expect(() => selectHosts(fleet, { hosts: ['-oProxyCommand=x'] })).toThrow(/starts with '-'/);
    expect(() => selectHosts(fleet, { groups: ['db'] })).toThrow(/unknown group/);
    const web = selectHosts(fleet, { groups: ['web'] });
    expect(canaryOf(fleet, web, 'web')?.name).toBe('web-2');
    expect(canaryOf(fleet, web)?.name).toBe('web-1');
  });

  it('refuses names and addresses ssh would read as options, duplicates and bad canaries', () => {
    const bad = (hosts: unknown[], canaries = {}) => {
      const r = validateFleet({ version: 1, hosts, canaries });
      return 'problems' in r ? r.problems.map((p) => `${p.path}: ${p.message}`).join('\n') : '';
    };
    expect(bad([{ name: '-oProxyCommand=x' }])).toMatch(/hosts\.0\.name/);
    expect(bad([{ name: 'a', address: '-oProxyCommand=x' }])).toMatch(/starts with '-'/);
    expect(bad([{ name: 'a', address: 'u@-x' }])).toMatch(/hosts\.0\.address/);
    expect(bad([{ name: 'a', remoteCommand: ['-x'] }])).toMatch(/remoteCommand/);
    expect(bad([{ name: 'a', socket: 'relative.sock' }])).toMatch(/socket/);
    expect(bad([{ name: 'a' }, { name: 'a' }])).toMatch(/listed twice/);
    expect(bad([{ name: 'all' }])).toMatch(/group of every host/);
    expect(bad([{ name: 'a' }], { web: 'a' })).toMatch(/canaries\.web/);
    expect(bad([{ name: 'a', extra: 1 }])).toMatch(/extra|Unrecognized/i);
    expect(bad([{ name: 'a', address: 'root@a:22', groups: ['x'] }])).toBe('');
  });
});

describe('sumCounters', () => {
  it('adds per rule id over hosts', () => {
    const s = sumCounters([
      { at: 't', counters: { r1: { packets: 1, bytes: 10 }, r2: { packets: 2, bytes: 20 } } },
      { at: 't', counters: { r1: { packets: 3, bytes: 30 } } },
    ]);
    expect(s).toEqual({
      hosts: 2,
      counters: { r1: { packets: 4, bytes: 40 }, r2: { packets: 2, bytes: 20 } },
    });
  });
});
