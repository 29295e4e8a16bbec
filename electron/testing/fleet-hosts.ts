// Runtime: plain Node, tests and benchmarks (root, iproute2, nft, OpenSSH). A small fleet on this
// machine: an "admin" network namespace where the ssh client runs, and N host namespaces, each
// linked to it by its own veth pair, each with its own `treewall helper` (startHelper in the
// namespace) and its own `sshd` (own config file, host key, AuthorizedKeysFile, listening on the
// namespace's address). Keys are generated at start (ssh-keygen into a private temporary folder);
// the client uses `-F` a generated ssh config with its own UserKnownHostsFile, so the user's
// ~/.ssh is never read or written. sshd's `SetEnv TREEWALL_SOCKET=...` makes the remote
// `treewall helper-bridge` find that host's helper; the remote treewall is this repository's
// bin/treewall.js (each host entry's remoteCommand).
// Invariant: stop() ends every sshd and helper and deletes the namespaces and the folder, even
// after a failure half-way.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FleetFile, FleetHost } from '../../shared/fleet/fleet.ts';
import type { FleetClientOptions } from '../common/fleet-client.ts';
import { run, sweepStale, TestNet, type Namespace } from './netns.ts';
import { startProcess, waitUntil, type Started } from './processes.ts';
import { repoRoot, startHelper, type HelperProcess } from './treewall-processes.ts';

export const SSHD = '/usr/sbin/sshd';

export interface TestHost {
  name: string;
  ns: Namespace;
  /** The host's address on its link to admin. */
  address: string;
  /** The admin namespace's interface towards this host (cut it to lose the host). */
  adminInterface: string;
  helper: HelperProcess;
  sshd: Started;
  /** Take the host's link down or up (from the host's side: its `eth0`). */
  setLink(up: boolean): Promise<void>;
}

export interface TestFleet {
  dir: string;
  admin: Namespace;
  hosts: TestHost[];
  /** The fleet file (host `hN`, address the ssh alias `hN`, remote command this checkout's). */
  fleet: FleetFile;
  /** The ssh config file (`-F`): an alias per host, the test key, our known_hosts. */
  sshConfig: string;
  /** Options for FleetClient: ssh run inside the admin namespace with our config. */
  clientOptions: FleetClientOptions;
  /** The remote command every host entry uses. */
  remoteCommand: string[];
  /** A host entry for `address` (an alias of the config, or `user@ip`), remote command ours. */
  entry(name: string, address: string, extra?: Partial<FleetHost>): FleetHost;
  /** Append lines to the ssh config (extra aliases for hostile cases). */
  addSshConfig(text: string): Promise<void>;
  /** Generate a key pair that belongs to no host (for the key-mismatch case): the public line. */
  strayHostKey(): Promise<string>;
  knownHostsFile: string;
  stop(): Promise<void>;
}

/** `count` hosts `h1`..`hN` with helper and sshd each, and the admin namespace. */
export async function startTestFleet(count: number, area = 'fleet'): Promise<TestFleet> {
  await sweepStale(area);
  const net = new TestNet(area);
  net.removeAtExit();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tw-fleet-'));
  const hosts: TestHost[] = [];
  /** Every sshd and helper as soon as it runs (a failure half-way stops those already up). */
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    await Promise.all(stoppers.splice(0).map((stop) => stop().catch(() => {})));
    await net.cleanup().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation
    const keygen = (file: string) =>
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'treewall-test', '-f', file]);
    const userKey = path.join(dir, 'id_ed25519');
    await keygen(userKey);
    const authorizedKeys = path.join(dir, 'authorized_keys');
    await writeFile(authorizedKeys, await readFile(`${userKey}.pub`), { mode: 0o600 });
    const knownHostsFile = path.join(dir, 'known_hosts');
    const admin = await net.namespace('admin');
    const remoteCommand = [process.execPath, path.join(repoRoot, 'bin/treewall.js')];
    let sshConfig = '';
    let known = '';
    const byIndex: { config: string; known: string }[] = [];
    // A few at a time: twenty helpers starting at once on two busy cores miss their 30 s.
    await forEachLimited(count, 4, async (index) => {
      {
        const i = index + 1;
        const name = `h${i}`;
        const ns = await net.namespace(name);
        const address = `10.81.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        const adminAddress = `10.82.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        // A point-to-point pair: admin side `aN`, host side `eth0`.
        const adminInterface = `a${i}`;
        await net.link(admin, ns, {
          aName: adminInterface,
          bName: 'eth0',
          aAddresses: [`${adminAddress}/32`],
          bAddresses: [`${address}/32`],
        });
        await admin.exec(['ip', 'route', 'add', `${address}/32`, 'dev', adminInterface]);
        await ns.exec(['ip', 'route', 'add', `${adminAddress}/32`, 'dev', 'eth0']);
        await ns.exec([
          'ip',
          'route',
          'add',
          'default',
          'via',
          adminAddress,
          'dev',
          'eth0',
          'onlink',
        ]);
        const helper = await startHelper({ namespace: ns.name });
        stoppers.push(helper.stop);
        const hostDir = path.join(dir, name);
        await mkdir(hostDir, { mode: 0o700 });
        const hostKey = path.join(hostDir, 'host_ed25519_key');
        await keygen(hostKey);
        const config = path.join(hostDir, 'sshd_config');
        await writeFile(
          config,
          [
            `ListenAddress ${address}:22`,
            `HostKey ${hostKey}`,
            `AuthorizedKeysFile ${authorizedKeys}`,
            'PidFile none',
            'UsePAM no',
            'StrictModes no',
            'PermitRootLogin prohibit-password',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'X11Forwarding no',
            'AllowTcpForwarding no',
            'PrintMotd no',
            'UseDNS no',
            'MaxStartups 100:30:200',
            `SetEnv TREEWALL_SOCKET=${helper.socket}`,
            'LogLevel INFO',
            '',
          ].join('\n'),
          { mode: 0o600 },
        );
        const sshd = startProcess(['ip', 'netns', 'exec', ns.name, SSHD, '-D', '-e', '-f', config]);
        stoppers.push(() => sshd.stop());
        await waitUntil(
          async () => {
            if (!/Server listening/.test(sshd.output())) throw new Error('not listening yet');
          },
          { what: `sshd in ${name}`, process: sshd, timeoutMs: 15_000, intervalMs: 20 },
        );
        const pub = (await readFile(`${hostKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
        const host: TestHost = {
          name,
          ns,
          address,
          adminInterface,
          helper,
          sshd,
          setLink: async (up: boolean) => {
            await ns.exec(['ip', 'link', 'set', 'eth0', up ? 'up' : 'down']);
            if (up) {
              await ns.exec(['ip', 'route', 'replace', `${adminAddress}/32`, 'dev', 'eth0']);
              await ns.exec([
                'ip',
                'route',
                'replace',
                'default',
                'via',
                adminAddress,
                'dev',
                'eth0',
                'onlink',
              ]);
            }
          },
        };
        hosts[index] = host;
        byIndex[index] = {
          config: `Host ${name}\n  HostName ${address}\n`,
          known: `${address} ${pub}\n`,
        };
      }
    });
    for (const entry of byIndex) {
      sshConfig += entry.config;
      known += entry.known;
    }
    await writeFile(knownHostsFile, known, { mode: 0o600 });
    const sshConfigFile = path.join(dir, 'ssh_config');
    const common = [
      'Host *',
      '  User root',
      `  IdentityFile ${userKey}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  ControlMaster no',
      '',
    ].join('\n');
    let extra = '';
    const writeConfig = () => writeFile(sshConfigFile, sshConfig + extra + common, { mode: 0o600 });
    await writeConfig();
    const entry = (name: string, address: string, more: Partial<FleetHost> = {}): FleetHost => ({
      name,
      address,
      groups: ['test'],
      remoteCommand,
      ...more,
    });
    const fleet: FleetFile = {
      version: 1,
      hosts: hosts.map((h) => entry(h.name, h.name)),
      canaries: {},
    };
    return {
      dir,
      admin,
      hosts,
      fleet,
      sshConfig: sshConfigFile,
      clientOptions: {
        ssh: ['ip', 'netns', 'exec', admin.name, 'ssh'],
        sshConfig: sshConfigFile,
        connectTimeoutSeconds: 3,
        aliveIntervalSeconds: 1,
        callTimeoutMs: 15_000,
      },
      remoteCommand,
      entry,
      knownHostsFile,
      async addSshConfig(text) {
        extra += text.endsWith('\n') ? text : `${text}\n`;
        await writeConfig();
      },
      async strayHostKey() {
        const file = path.join(dir, `stray-${Math.random().toString(36).slice(2)}`);
        await keygen(file);
        return (await readFile(`${file}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** `fn(0..count-1)`, at most `limit` at once; the first failure is thrown after all settle. */
async function forEachLimited(
  count: number,
  limit: number,
  fn: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await fn(i).catch((error: unknown) => {
        errors.push(error);
        next = count; // start no more
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (errors.length > 0) throw errors[0];
}
