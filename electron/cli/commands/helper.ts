// Runtime: plain Node, as root. `treewall helper --socket PATH [--state-dir DIR] [--log-group N]
// [--socket-group GROUP] [--socket-mode MODE] [--apply-saved]`: runs the privileged helper in the
// foreground until SIGTERM (which leaves the kernel rules in force).

import { DEFAULT_LOG_GROUP, DEFAULT_SOCKET_PATH } from '../../../shared/ipc/helper-protocol.ts';
import { EXIT, intOption, parseArgs } from '../support.ts';
import { runHelper } from '../../helper/server.ts';

export const summary = 'Run the privileged helper (root) on a Unix socket, in the foreground';

export const usage = `usage: treewall helper [--socket PATH] [--state-dir DIR] [--log-group N]
                       [--socket-group GROUP] [--socket-mode MODE] [--apply-saved]
                       [--allow-outbound DEST[,DEST...]]

Runs as root. Applies documents sent by \`treewall apply\`, the app or the browser host, and
streams counters, triggered addresses and log events back. Stops on SIGTERM/Ctrl-C and leaves
the rules in force.

  --socket PATH        Unix socket to listen on (default ${DEFAULT_SOCKET_PATH})
  --state-dir DIR      active/previous documents and pending confirms (default /var/lib/treewall)
  --log-group N        NFLOG group for Log and logged verdicts (default ${DEFAULT_LOG_GROUP})
  --socket-group G     group allowed to connect (socket is root:G, mode 0660); default root only
  --socket-mode MODE   octal socket mode (default 660)
  --apply-saved        at start, re-apply the saved active document (the systemd unit uses it)
  --allow-outbound D   destinations URL probes and Webhooks may contact, comma-separated:
                       http(s)://host[:port][/path], tcp://host[:port], ping://host (also read
                       from STATE-DIR/outbound-allow, one per line); default none

exit codes: 0 stopped cleanly, 2 bad options, 1 could not start (another helper running, ...)`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  let logGroup: number;
  let mode = 0o660;
  try {
    parsed = parseArgs(
      args,
      ['state-dir', 'log-group', 'socket-group', 'socket-mode', 'allow-outbound'],
      ['apply-saved'],
    );
    logGroup = intOption(parsed, 'log-group', 0, 65535) ?? DEFAULT_LOG_GROUP;
    const m = parsed.options['socket-mode'];
    if (m !== undefined) {
      if (m === true || !/^[0-7]{3,4}$/.test(m))
        throw new Error('--socket-mode must be octal, e.g. 660');
      mode = parseInt(m, 8);
    }
    if (parsed.positional.length > 0)
      throw new Error(`unexpected argument '${parsed.positional[0]}'`);
  } catch (error) {
    console.error(`treewall helper: ${(error as Error).message}\n\n${usage}`);
    return EXIT.badInput;
  }
  if (process.getuid?.() !== 0) {
    console.error(
      'treewall helper: must run as root (it loads nftables rules): sudo treewall helper ...',
    );
    return EXIT.other;
  }
  const group = parsed.options['socket-group'];
  const allow = parsed.options['allow-outbound'];
  return runHelper({
    socketPath: parsed.socket,
    stateDir: (parsed.options['state-dir'] as string | undefined) ?? '/var/lib/treewall',
    logGroup,
    socketMode: mode,
    ...(typeof group === 'string' ? { socketGroup: group } : {}),
    applySaved: parsed.options['apply-saved'] === true,
    ...(typeof allow === 'string' ? { allowOutbound: allow.split(',') } : {}),
  });
}
