// Runtime: plain Node (CLI). `treewall helper-bridge [--socket PATH]`: joins standard input and
// output to the local helper's socket, byte for byte. The fleet runs it at the far end of an ssh
// session (`ssh HOST -- treewall helper-bridge`), so the remote user's right to talk to the helper
// is exactly the socket's permission, as locally. It reads nothing of the protocol.
// Exit codes: 0 when either side ends, 3 when the helper's socket does not answer (the fleet
// client reports that host as `no-helper`), 2 bad options.

import { createConnection } from 'node:net';
import { DEFAULT_SOCKET_PATH } from '../../../shared/ipc/helper-protocol.ts';
import { unreachableMessage } from '../../common/helper-client.ts';
import { EXIT, parseArgs } from '../support.ts';

export const summary = "Join stdin/stdout to the helper's socket (run by the fleet over ssh)";

export const usage = `usage: treewall helper-bridge [--socket PATH]

Joins standard input and output to the helper's Unix socket (default ${DEFAULT_SOCKET_PATH} or
$TREEWALL_SOCKET). The fleet runs it over ssh: \`ssh HOST -- treewall helper-bridge\`. Whoever
runs it needs the same right as any local client: root or the helper's socket group.

exit codes: 0 done, 3 helper unreachable, 2 bad options`;

export function run(args: string[]): Promise<number> {
  let socketPath: string;
  try {
    const parsed = parseArgs(args);
    if (parsed.positional.length > 0)
      throw new Error(`unexpected argument '${parsed.positional[0]}'`);
    socketPath = parsed.socket;
  } catch (error) {
    process.stderr.write(`treewall helper-bridge: ${(error as Error).message}\n\n${usage}\n`);
    return Promise.resolve(EXIT.badInput);
  }
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let connected = false;
    let done = false;
    const finish = (code: number) => {
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
        const code = (error as NodeJS.ErrnoException).code;
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
