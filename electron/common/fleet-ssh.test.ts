import { describe, expect, it } from 'vitest';
import { fleetHostSchema } from '../../shared/fleet/fleet.ts';
import { classifySshFailure, shellQuote, sshArgv } from './fleet-ssh.ts';

describe('the ssh command line', () => {
  it('puts the host after --, user and port as options, the remote command quoted', () => {
    const host = fleetHostSchema.parse({
      name: 'web-1',
      address: 'admin@10.0.0.2:2222',
      remoteCommand: ['node', "/opt/tree wall/it's.js"],
      socket: '/run/treewall/helper.sock',
    });
    const argv = sshArgv(host, { sshConfig: '/tmp/cfg', connectTimeoutSeconds: 3 });
    expect(argv.slice(0, 3)).toEqual(['ssh', '-F', '/tmp/cfg']);
    expect(argv).toContain('BatchMode=yes');
    expect(argv).toContain('ConnectTimeout=3');
    const dashdash = argv.indexOf('--');
    expect(argv.slice(dashdash)).toEqual([
      '--',
      '10.0.0.2',
      `node '/opt/tree wall/it'\\''s.js' helper-bridge --socket /run/treewall/helper.sock`,
    ]);
    expect(argv.slice(argv.indexOf('-p'), argv.indexOf('-p') + 4)).toEqual([
      '-p',
      '2222',
      '-l',
      'admin',
    ]);
  });

  it('refuses a host entry that would be an option even when built by hand', () => {
    expect(() => sshArgv({ name: '-oProxyCommand=x', groups: [] })).toThrow(/starts with '-'/);
  });

  it('quotes for a POSIX shell', () => {
    expect(shellQuote('plain/path.js')).toBe('plain/path.js');
    expect(shellQuote('$(reboot)')).toBe(`'$(reboot)'`);
  });

  it('says why a session failed', () => {
    const host = { name: 'h', groups: [] };
    expect(classifySshFailure(host, 255, 'Host key verification failed.\n').code).toBe('host-key');
    expect(classifySshFailure(host, 255, 'root@x: Permission denied (publickey).').code).toBe(
      'auth',
    );
    expect(
      classifySshFailure(host, 255, 'ssh: Could not resolve hostname x: Name or service not known')
        .code,
    ).toBe('unreachable');
    expect(classifySshFailure(host, 127, 'bash: line 1: treewall: command not found').code).toBe(
      'no-treewall',
    );
    expect(classifySshFailure(host, 3, 'treewall helper-bridge: helper unreachable').code).toBe(
      'no-helper',
    );
  });
});
