import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetHostSchema } from '../../shared/fleet/fleet.ts';
import { classifySshFailure, defaultMultiplex, shellQuote, sshArgv } from './fleet-ssh.ts';

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

describe('connection sharing (ControlMaster)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-fleet-ssh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const host = { name: 'h', groups: [] };
  const multiplex = { controlDir: '/run/user/1/treewall-ssh', persistSeconds: 60 };

  it('shares connections when asked, except for a fresh session (the health probe)', () => {
    const shared = sshArgv(host, { multiplex });
    expect(shared).toEqual(
      expect.arrayContaining([
        'ControlMaster=auto',
        'ControlPath=/run/user/1/treewall-ssh/%C',
        'ControlPersist=60',
      ]),
    );
    expect(shared.indexOf('ControlMaster=auto')).toBeLessThan(shared.indexOf('--'));
    const fresh = sshArgv(host, { multiplex }, true);
    expect(fresh).toContain('ControlPath=none');
    expect(fresh.join(' ')).not.toMatch(/ControlMaster|ControlPersist/);
    expect(sshArgv(host, {}).join(' ')).not.toMatch(/Control/);
  });

  it("leaves it to the user's ssh config when that says anything about Control*", () => {
    const config = path.join(dir, 'config-control');
    writeFileSync(config, 'Host *\n  controlmaster no\n');
    expect(defaultMultiplex(config, { XDG_RUNTIME_DIR: dir })).toBeUndefined();
    writeFileSync(config, 'Host web\n\tControlPath ~/.ssh/cm-%C\n');
    expect(defaultMultiplex(config, { XDG_RUNTIME_DIR: dir })).toBeUndefined();
  });

  it('otherwise uses a folder of its own, 0700, and none that is not ours alone', () => {
    const config = path.join(dir, 'config-plain');
    writeFileSync(config, 'Host *\n  User admin\n');
    expect(defaultMultiplex(config, { XDG_RUNTIME_DIR: dir })).toEqual({
      controlDir: path.join(dir, 'treewall-ssh'),
      persistSeconds: 60,
    });
    const open = path.join(dir, 'open');
    mkdirSync(path.join(open, 'treewall-ssh'), { recursive: true });
    chmodSync(path.join(open, 'treewall-ssh'), 0o777);
    expect(defaultMultiplex(config, { XDG_RUNTIME_DIR: open })).toBeUndefined();
  });
});
