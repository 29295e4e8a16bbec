// Runtime: plain Node. The fleet's transport: the system's OpenSSH client running
// `treewall helper-bridge` on the far host, whose stdin/stdout is joined to that host's helper
// socket. We handle no passwords and no keys: ssh uses the user's ~/.ssh/config, keys, agent and
// known_hosts, in BatchMode (it never asks; an unknown or changed host key is a failure).
// Invariant: the host always comes after `--`, is never an option (parseSshTarget refuses a
// leading `-`), every remote word is quoted for the remote shell, and every step has a timeout:
// ConnectTimeout, ServerAliveInterval/CountMax, and the caller's per-call timeouts.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import {
  DEFAULT_REMOTE_COMMAND,
  hostTarget,
  parseSshTarget,
  type FleetHost,
} from '../../shared/fleet/fleet.ts';

export interface SshOptions {
  /** The ssh program and any words before its options. Default `['ssh']`. Tests and benchmarks
   * run it inside a network namespace: `['ip', 'netns', 'exec', NS, 'ssh']`. */
  ssh?: readonly string[];
  /** `ssh -F FILE`; default: the user's ~/.ssh/config. */
  sshConfig?: string;
  /** More `-o Key=Value` options, passed as given (e.g. `UserKnownHostsFile=...`). */
  sshOptions?: readonly string[];
  /** ssh's ConnectTimeout. Default 10 s. */
  connectTimeoutSeconds?: number;
  /** ServerAliveInterval; a session is given up after 3 missed answers. Default 5 s. */
  aliveIntervalSeconds?: number;
  /**
   * OpenSSH connection sharing: the first session to a host becomes a master that stays
   * `persistSeconds` after its last session, and the next ones ride on it (no new TCP
   * connection, key exchange or authentication, on either side). Off unless given; see
   * `defaultMultiplex` (which leaves it to the user's ssh config when that sets any Control*).
   */
  multiplex?: { controlDir: string; persistSeconds: number };
}

const CONTROL_KEYWORD = /^\s*Control(Master|Path|Persist)\b/im;

/**
 * Connection sharing for a CLI run, or undefined: when the ssh config in use (`-F FILE`, else
 * ~/.ssh/config) says anything about ControlMaster, ControlPath or ControlPersist, that is the
 * user's choice and we add nothing (a file it Includes is not read). The sockets go in a folder of
 * our own, 0700: $XDG_RUNTIME_DIR/treewall-ssh, else <tmp>/treewall-ssh-<uid>; a folder there
 * that is not ours alone (another user made it first) means no sharing.
 */
export function defaultMultiplex(
  sshConfig: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SshOptions['multiplex'] {
  const config = sshConfig ?? path.join(os.homedir(), '.ssh', 'config');
  let text = '';
  try {
    text = readFileSync(config, 'utf8');
  } catch {
    // No config file: nothing of the user's to respect.
  }
  if (CONTROL_KEYWORD.test(text)) return undefined;
  const uid = process.getuid?.() ?? 0;
  const controlDir = env.XDG_RUNTIME_DIR
    ? path.join(env.XDG_RUNTIME_DIR, 'treewall-ssh')
    : path.join(os.tmpdir(), `treewall-ssh-${uid}`);
  try {
    mkdirSync(controlDir, { recursive: true, mode: 0o700 });
    const st = statSync(controlDir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return { controlDir, persistSeconds: 60 };
}

/** POSIX shell quoting of one word (the remote command goes through the remote user's shell). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./=:@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The remote command line: `treewall helper-bridge [--socket PATH]`, quoted. */
export function remoteBridgeCommand(host: FleetHost): string {
  const words = [...(host.remoteCommand ?? DEFAULT_REMOTE_COMMAND), 'helper-bridge'];
  if (host.socket) words.push('--socket', host.socket);
  return words.map(shellQuote).join(' ');
}

/**
 * The argv of the ssh process for one host (the program first). `fresh`: never reuse a
 * multiplexed master connection (ControlPath none), so a health probe really opens a new session.
 */
export function sshArgv(host: FleetHost, options: SshOptions = {}, fresh = false): string[] {
  const target = hostTarget(host);
  // Belt and braces: the schema already refused it; an argv must never carry it.
  if (target.host.startsWith('-') || 'error' in parseSshTarget(target.host)) {
    throw new Error(`host '${host.name}': refused address '${target.host}'`);
  }
  const argv = [...(options.ssh ?? ['ssh'])];
  if (options.sshConfig) argv.push('-F', options.sshConfig);
  const alive = options.aliveIntervalSeconds ?? 5;
  argv.push(
    '-T',
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${options.connectTimeoutSeconds ?? 10}`,
    '-o',
    `ServerAliveInterval=${alive}`,
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    'LogLevel=ERROR',
  );
  if (fresh) argv.push('-o', 'ControlPath=none');
  else if (options.multiplex) {
    // %C: a hash of the connection (local host, remote host, port, user), short enough for a
    // socket path.
    argv.push(
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${path.join(options.multiplex.controlDir, '%C')}`,
      '-o',
      `ControlPersist=${options.multiplex.persistSeconds}`,
    );
  }
  for (const o of options.sshOptions ?? []) argv.push('-o', o);
  if (target.port !== undefined) argv.push('-p', String(target.port));
  if (target.user !== undefined) argv.push('-l', target.user);
  argv.push('--', target.host, remoteBridgeCommand(host));
  return argv;
}

export interface SshSession {
  /** The helper protocol's byte stream (ssh's stdout in, stdin out). */
  stream: Duplex;
  child: ChildProcess;
  /** What ssh (and the remote bridge) printed on stderr, last 8 KiB. */
  stderr(): string;
  /** Set when the ssh program itself could not be started (not installed, not executable). */
  spawnError(): string | undefined;
  /** Resolves with ssh's exit code (null: killed by a signal) when it has ended. */
  exited: Promise<number | null>;
  /** End the session: close stdin, then kill ssh if it is still there after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Start `ssh ... -- HOST treewall helper-bridge`. */
export function openSshSession(
  host: FleetHost,
  options: SshOptions = {},
  fresh = false,
): SshSession {
  const [program, ...args] = sshArgv(host, options, fresh);
  const child = spawn(program!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError: string | undefined;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-8192);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      spawnError = `cannot run ${program}: ${error.message} (is openssh-client installed?)`;
      resolve(255);
    });
    child.once('close', (code) => resolve(code));
  });
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (!child.stdin || child.stdin.destroyed) return callback();
      child.stdin.write(chunk, () => callback());
    },
    final(callback) {
      child.stdin?.end();
      callback();
    },
    destroy(error, callback) {
      child.stdin?.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      callback(error);
    },
  });
  child.stdin!.on('error', () => {}); // EPIPE when ssh is gone: its exit tells the story
  child.stdout!.on('data', (chunk: Buffer) => stream.push(chunk));
  void exited.then(() => {
    stream.push(null);
    stream.destroy();
  });
  return {
    stream,
    child,
    stderr: () => stderr,
    spawnError: () => spawnError,
    exited,
    async close(graceMs = 2000) {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface SshFailure {
  code:
    'unreachable' | 'host-key' | 'auth' | 'no-treewall' | 'no-helper' | 'timeout' | 'disconnected';
  message: string;
}

/** What an ssh session that ended (or never answered) means, from its exit code and stderr. */
export function classifySshFailure(
  host: FleetHost,
  exitCode: number | null,
  stderr: string,
): SshFailure {
  const target = host.address ?? host.name;
  const said = lastLines(stderr);
  const with_ = (text: string) => (said ? `${text}: ${said}` : text);
  if (
    /host key verification failed|remote host identification has changed|host key for .* has changed|no .* host key is known/i.test(
      stderr,
    )
  ) {
    return {
      code: 'host-key',
      message: with_(
        `${host.name} (${target}): the host key is unknown or does not match known_hosts; nothing was sent. ` +
          `Check the key, then add it (ssh ${target} once, or ssh-keyscan)`,
      ),
    };
  }
  if (/permission denied|too many authentication failures/i.test(stderr)) {
    return {
      code: 'auth',
      message: with_(
        `${host.name} (${target}): ssh refused our keys (no password is asked; add your key to the agent or authorized_keys)`,
      ),
    };
  }
  if (
    /could not resolve hostname|name or service not known|temporary failure in name resolution/i.test(
      stderr,
    )
  ) {
    return { code: 'unreachable', message: with_(`${host.name} (${target}): unknown host`) };
  }
  if (/timeout, server .* not responding|connection timed out|operation timed out/i.test(stderr)) {
    return { code: 'timeout', message: with_(`${host.name} (${target}): no answer`) };
  }
  if (/unknown command 'helper-bridge'/.test(stderr)) {
    return {
      code: 'no-treewall',
      message: `${host.name}: the remote treewall has no helper-bridge (an older release): update it`,
    };
  }
  if (
    exitCode === 127 ||
    exitCode === 126 ||
    /command not found|no such file or directory/i.test(stderr)
  ) {
    return {
      code: 'no-treewall',
      message: with_(
        `${host.name}: treewall is not installed there (remote command ${remoteBridgeCommand(host)})`,
      ),
    };
  }
  if (exitCode === 3) {
    return {
      code: 'no-helper',
      message: with_(`${host.name}: treewall is there but its helper does not answer`),
    };
  }
  if (exitCode === 255) {
    return {
      code: 'unreachable',
      message: with_(`${host.name} (${target}): ssh could not connect`),
    };
  }
  return {
    code: 'disconnected',
    message: with_(`${host.name}: the ssh session ended (exit ${exitCode ?? 'signal'})`),
  };
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Warning: Permanently added/.test(l))
    .slice(-3)
    .join(' | ')
    .slice(0, 500);
}
