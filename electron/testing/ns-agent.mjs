// Runtime: plain Node, started by netns.ts as `ip netns exec NS node ns-agent.mjs` and living for
// the whole test file. Invariant: it only ever touches sockets inside its own namespace, and it
// answers every request line with exactly one reply line carrying the same `id`.
//
// Protocol (newline-delimited JSON on stdin/stdout):
//   request  {id, op, ...args}
//   reply    {id, ok: true, ...result} | {id, ok: false, error}
//   event    {event, ...} (no id): accepted connections, received datagrams.
// A long-lived agent makes a probe cost a few milliseconds instead of a Node start-up (~50 ms).
/* global process, console, setTimeout, clearTimeout, Buffer */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const listeners = new Map();
let nextListener = 1;

const reply = (message) => process.stdout.write(JSON.stringify(message) + '\n');

/** TCP connect: `connected` (handshake done), `reset` (RST came back), `timeout`, or `error`. */
function tcpConnect({
  host,
  port,
  localAddress,
  localPort,
  timeoutMs = 300,
  close = 'reset',
  send,
}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const options = { host, port };
    if (localAddress) options.localAddress = localAddress;
    if (localPort) options.localPort = localPort;
    const socket = net.connect(options);
    let settled = false;
    const finish = (result, detail) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A reset close makes the packet sequence of a successful probe fixed (SYN, ACK, RST),
      // which is what the counter predictions in the kernel tests rely on.
      if (result === 'connected' && close === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      resolve({ result, detail, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => {
      if (send) {
        socket.write(Buffer.from(send, 'utf8'), () => finish('connected'));
      } else finish('connected');
    });
    socket.once('error', (error) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') finish('reset', error.code);
      else finish('error', error.code ?? error.message);
    });
  });
}

/** UDP send; with `replyTimeoutMs`, waits for one datagram back (an echo listener answers). */
function udpSend({ host, port, localAddress, localPort, payload = 'probe', replyTimeoutMs }) {
  return new Promise((resolve) => {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket(type);
    let timer;
    const done = (result, detail) => {
      clearTimeout(timer);
      socket.close();
      resolve({ result, detail });
    };
    socket.on('error', (error) => done('error', error.code ?? error.message));
    socket.on('message', (message) => done('reply', message.toString('utf8')));
    socket.bind({ address: localAddress, port: localPort ?? 0 }, () => {
      socket.send(Buffer.from(payload, 'utf8'), port, host, (error) => {
        if (error) return done('error', error.code ?? error.message);
        if (!replyTimeoutMs) return done('sent');
        timer = setTimeout(() => done('timeout'), replyTimeoutMs);
      });
    });
  });
}

/** ICMP echo through the system ping (Node has no raw sockets). */
function ping({ host, timeoutMs = 300, source }) {
  return new Promise((resolve) => {
    const args = ['-n', '-c', '1', '-W', String(timeoutMs / 1000)];
    if (source) args.push('-I', source);
    args.push(host);
    const child = spawn(
      host.includes(':') ? 'ping' : 'ping',
      host.includes(':') ? ['-6', ...args] : ['-4', ...args],
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) =>
      resolve({ result: code === 0 ? 'reply' : 'timeout', detail: out.trim() }),
    );
  });
}

function listenTcp({ port, host }) {
  return new Promise((resolve) => {
    const id = nextListener++;
    const state = { accepted: 0, bytes: 0 };
    const server = net.createServer((socket) => {
      state.accepted += 1;
      reply({
        event: 'accept',
        listener: id,
        remote: socket.remoteAddress,
        remotePort: socket.remotePort,
      });
      socket.on('data', (data) => (state.bytes += data.length));
      socket.on('error', () => {});
    });
    server.on('error', (error) => resolve({ ok: false, error: error.message }));
    server.listen({ port, host: host ?? '::', ipv6Only: false }, () => {
      listeners.set(id, { close: () => server.close(), state });
      resolve({ listener: id });
    });
  });
}

function listenUdp({ port, host, echo = true }) {
  return new Promise((resolve) => {
    const id = nextListener++;
    const state = { datagrams: 0, bytes: 0 };
    const socket = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    socket.on('message', (message, remote) => {
      state.datagrams += 1;
      state.bytes += message.length;
      reply({ event: 'datagram', listener: id, remote: remote.address, remotePort: remote.port });
      if (echo) socket.send(message, remote.port, remote.address);
    });
    socket.on('error', (error) => resolve({ ok: false, error: error.message }));
    socket.bind({ port, address: host ?? '::' }, () => {
      listeners.set(id, { close: () => socket.close(), state });
      resolve({ listener: id });
    });
  });
}

const ops = {
  tcpConnect,
  udpSend,
  ping,
  listenTcp,
  listenUdp,
  stats: async ({ listener }) => ({ ...(listeners.get(listener)?.state ?? {}) }),
  close: async ({ listener }) => {
    listeners.get(listener)?.close();
    listeners.delete(listener);
    return {};
  },
  ready: async () => ({ pid: process.pid }),
};

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  const op = ops[request.op];
  if (!op) return reply({ id: request.id, ok: false, error: `unknown op ${request.op}` });
  try {
    const result = await op(request);
    reply({ ok: true, ...result, id: request.id });
  } catch (error) {
    reply({ id: request.id, ok: false, error: String(error?.message ?? error) });
  }
});
// The parent closing our stdin (test end, or a crashed runner) ends the agent.
lines.on('close', () => process.exit(0));
console.error = () => {};
