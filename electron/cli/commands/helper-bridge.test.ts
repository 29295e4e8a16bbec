import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET_PATH } from '../../../shared/ipc/helper-protocol.ts';
import { BRIDGE_DEFAULT_SOCKET } from './helper-bridge.js';

const treewall = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../bin/treewall.js',
);
const dir = mkdtempSync(path.join(tmpdir(), 'tw-bridge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bridge(socket: string) {
  const child = spawn(process.execPath, [treewall, 'helper-bridge', '--socket', socket], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('close', r));
  return { child, out: () => out, err: () => err, exit };
}

describe('treewall helper-bridge', () => {
  it('uses the protocol default socket', () => {
    expect(BRIDGE_DEFAULT_SOCKET).toBe(DEFAULT_SOCKET_PATH);
  });

  it('joins stdin/stdout to the socket byte for byte, and ends with it', async () => {
    const socket = path.join(dir, 'echo.sock');
    const server = createServer((s) =>
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('>'), d]))),
    );
    await new Promise<void>((r) => server.listen(socket, r));
    const b = bridge(socket);
    b.child.stdin.write('{"id":1}\n');
    await expect.poll(b.out, { timeout: 15_000 }).toBe('>{"id":1}\n');
    b.child.stdin.end();
    expect(await b.exit).toBe(0);
    server.close();
  }, 20_000);

  it('exits 3 with the helper-unreachable message when nothing listens', async () => {
    const b = bridge(path.join(dir, 'nobody.sock'));
    expect(await b.exit).toBe(3);
    expect(b.err()).toMatch(/helper unreachable at .*nobody\.sock \(no socket\)/);
  }, 20_000);
});
