// Runtime: plain Node (CLI). `treewall helper-bridge [--socket PATH]`: joins standard input and
// output to the local helper's socket, byte for byte. The fleet runs it at the far end of an ssh
// session (`ssh HOST -- treewall helper-bridge`), so the remote user's right to talk to the helper
// is exactly the socket's permission, as locally. It reads nothing of the protocol.
// Exit codes: 0 when either side ends, 3 when the helper's socket does not answer (the fleet
// client reports that host as `no-helper`), 2 bad options.

// It starts on every fleet connection (twice per host in a rollout), so it is plain JavaScript
// that imports nothing but node:net: bin/treewall.js runs it with a bare `node`, before loading
// tsx or the rest of the CLI (0.25-0.3 s of CPU per session through tsx, ~0.05 s bare), and the
// package's CLI bundle loads it as its own small chunk (electron/cli/entry.ts). Types:
// helper-bridge.d.ts. helper-bridge.test.ts checks the constant below against the protocol's.

import { createConnection } from 'node:net';

/** = DEFAULT_SOCKET_PATH of shared/ipc/helper-protocol.ts. */
export const BRIDGE_DEFAULT_SOCKET = '/run/treewall/helper.sock';
const EXIT = { ok: 0, badInput: 2, unreachable: 3 };

/** @param {string} socketPath @param {string} reason */
const unreachableMessage = (socketPath, reason) =>
  `helper unreachable at ${socketPath} (${reason}): is the helper running? start it with ` +
  `\`sudo treewall helper --socket ${socketPath}\` (or \`sudo systemctl start treewall-helper\`)`;

/** @param {string[]} args @returns {{ socket: string }} */
function parseArgs(args) {
  let socket = process.env.TREEWALL_SOCKET || BRIDGE_DEFAULT_SOCKET;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--socket') {
      const v = args[++i];
      if (v === undefined) throw new Error('--socket needs a value');
      socket = v;
    } else if (arg.startsWith('--socket=')) socket = arg.slice('--socket='.length);
    else
      throw new Error(
        arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument '${arg}'`,
      );
  }
  return { socket };
}

export const summary = "Join stdin/stdout to the helper's socket (run by the fleet over ssh)";

export const usage = `usage: treewall helper-bridge [--socket PATH]

Joins standard input and output to the helper's Unix socket (default ${BRIDGE_DEFAULT_SOCKET} or
$TREEWALL_SOCKET). The fleet runs it over ssh: \`ssh HOST -- treewall helper-bridge\`. Whoever
runs it needs the same right as any local client: root or the helper's socket group.

exit codes: 0 done, 3 helper unreachable, 2 bad options`;

/** @param {string[]} args @returns {Promise<number>} */
export function run(args) {
  let socketPath;
  try {
    socketPath = parseArgs(args).socket;
  } catch (error) {
    process.stderr.write(`treewall helper-bridge: ${error.message}\n\n${usage}\n`);
    return Promise.resolve(EXIT.badInput);
  }
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let connected = false;
    let done = false;
    /** @param {number} code */
    const finish = (code) => {
      if (done) return;
      done = true;
      socket.destroy();
      // Standard input may keep the event loop alive: leave explicitly once stdout is flushed.
      process.stdout.write('', () => {
        resolve(code);
        setImmediate(() => process.exit(code));
      });
    };
    const timer = setTimeout(() => {
      process.stderr.write(
        `treewall helper-bridge: ${unreachableMessage(socketPath, 'timed out')}\n`,
      );
      finish(EXIT.unreachable);
    }, 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (!connected) {
        const code = /** @type {NodeJS.ErrnoException} */ (error).code;
        const reason =
          code === 'ENOENT'
            ? 'no socket'
            : code === 'ECONNREFUSED'
              ? 'connection refused'
              : code === 'EACCES' || code === 'EPERM'
                ? "permission denied: only root and the helper's socket group may talk to it"
                : error.message;
        process.stderr.write(`treewall helper-bridge: ${unreachableMessage(socketPath, reason)}\n`);
        finish(EXIT.unreachable);
      } else finish(EXIT.ok);
    });
    socket.on('close', () => finish(EXIT.ok));
    process.stdin.on('end', () => socket.end());
    process.stdin.on('error', () => finish(EXIT.ok));
    process.stdout.on('error', () => finish(EXIT.ok));
  });
}
