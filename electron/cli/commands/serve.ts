// Runtime: plain Node. `treewall serve`: the browser host. Builds the renderer if it was never
// built, starts the shared backend behind HTTP + WebSocket on loopback, prints the URL with this
// run's token, and serves until SIGINT/SIGTERM.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBackend } from '../../common/backend.ts';
import { createDocumentCodec } from '../../common/document-codec.ts';
import { connectHelper, DEFAULT_HELPER_SOCKET } from '../../common/helper-link.ts';
import { connectFleet } from '../../common/fleet-link.ts';
import { startHost } from '../../host/server.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const summary =
  'serve the editor to a browser (HTTP + WebSocket on 127.0.0.1, with a token)';

export const usage = `usage: treewall serve [options]

Serves the treewall editor to a web browser and prints its URL (with a per-run token).

options:
  --port N          port to listen on (default 8080; 0 picks a free one)
  --host ADDR       address to bind (default 127.0.0.1; anything else exposes the editor,
                    protected only by the token, to the network)
  --folder DIR      where documents are opened and saved (default: the current folder);
                    nothing outside it is readable or writable through the editor
  --socket PATH     the helper's socket (default ${DEFAULT_HELPER_SOCKET})
  --state-dir DIR   recent files and crash recovery (default ~/.local/state/treewall/serve)
  --build           rebuild the renderer first (it is built automatically when missing)
  --no-build        never build; fail if dist/renderer is missing
  --token TOKEN     use this token instead of a random one (scripts; keep it secret)
  --renderer-dir DIR  serve this built renderer instead of dist/renderer
  --fleet FILE      the fleet file the Fleet tab edits (default: fleet.json in --folder)
  --ssh-config FILE ssh -F FILE for the fleet's hosts (default $TREEWALL_SSH_CONFIG, else
                    the user's ~/.ssh/config)
  --ssh WORDS       the ssh program, with any words before its options (default: ssh; e.g.
                    "ip netns exec NS ssh" to reach hosts from a network namespace)`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        folder: { type: 'string', default: process.cwd() },
        socket: { type: 'string', default: DEFAULT_HELPER_SOCKET },
        'state-dir': { type: 'string' },
        build: { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        token: { type: 'string' },
        'renderer-dir': { type: 'string' },
        fleet: { type: 'string' },
        'ssh-config': { type: 'string' },
        ssh: { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`treewall serve: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`treewall serve: --port ${values.port}: not a port number (0-65535)`);
    return 2;
  }
  const folder = path.resolve(values.folder);
  if (!existsSync(folder)) {
    console.error(`treewall serve: --folder ${folder}: no such folder`);
    return 2;
  }
  if (values.token !== undefined && !/^[\w-]{16,}$/.test(values.token)) {
    console.error('treewall serve: --token: use at least 16 letters, digits, - or _');
    return 2;
  }

  const rendererDir = path.resolve(values['renderer-dir'] ?? path.join(repoRoot, 'dist/renderer'));
  const built = existsSync(path.join(rendererDir, 'index.html'));
  if (values['renderer-dir'] !== undefined && !built) {
    console.error(`treewall serve: --renderer-dir ${rendererDir}: no index.html there`);
    return 2;
  }
  if (values.build || !built) {
    if (values['no-build']) {
      console.error(`treewall serve: ${rendererDir} is missing; run npm run build`);
      return 1;
    }
    console.log(`treewall serve: building the renderer into ${rendererDir} ...`);
    const { build } = await import('vite');
    await build({ configFile: path.join(repoRoot, 'vite.config.ts'), logLevel: 'warn' });
  }

  const stateDir = path.resolve(
    values['state-dir'] ??
      path.join(
        process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local/state'),
        'treewall/serve',
      ),
  );
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const version = (
    JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

  const sshConfig = values['ssh-config'] ?? process.env.TREEWALL_SSH_CONFIG;
  const backend = createBackend({
    host: 'browser',
    version,
    folder,
    stateDir,
    helperSocket: values.socket,
    codec: createDocumentCodec({
      defaultDocument: path.join(repoRoot, 'resources/default.treewall'),
    }),
    helper: connectHelper(values.socket),
    fleet: connectFleet({
      file: path.resolve(values.fleet ?? path.join(folder, 'fleet.json')),
      client: {
        ...(sshConfig ? { sshConfig: path.resolve(sshConfig) } : {}),
        ...(values.ssh ? { ssh: values.ssh.split(/\s+/).filter(Boolean) } : {}),
      },
    }),
  });
  let host;
  try {
    host = await startHost({
      backend,
      rendererDir,
      hostname: values.host,
      port,
      ...(values.token ? { token: values.token } : {}),
    });
  } catch (error) {
    await backend.close();
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ` (port ${port} is in use; try --port 0)` : '';
    console.error(
      `treewall serve: cannot listen on ${values.host}:${port}: ${(error as Error).message}${hint}`,
    );
    return 1;
  }

  console.log(`treewall serve: documents in ${folder}`);
  console.log(`treewall serve: helper socket ${values.socket}`);
  console.log(`treewall serve: open ${host.url}`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(values.host)) {
    console.log(
      'treewall serve: WARNING: listening beyond loopback; anyone with the URL can edit and apply.',
    );
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await backend.close();
  return 0;
}
