// Runtime: vitest, root only. The test-host library itself: namespaces, veth, probes, cleanup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kernelSkipReason,
  kernelTestsAvailable,
  run,
  sweepStale,
  TestNet,
  type Namespace,
} from './netns.ts';

describe.skipIf(!kernelTestsAvailable)(`netns test host ${kernelSkipReason ?? ''}`, () => {
  const net = new TestNet('evalnet');
  let a: Namespace;
  let b: Namespace;

  beforeAll(async () => {
    await sweepStale('evalnet');
    a = await net.namespace('a');
    b = await net.namespace('b');
    await net.link(a, b, {
      aAddresses: ['10.77.0.1/24', 'fd77::1/64'],
      bAddresses: ['10.77.0.2/24', 'fd77::2/64'],
    });
  });
  afterAll(async () => {
    await net.cleanup();
  });

  it('connects over IPv4 and IPv6 to a listener, and gets a reset from a closed port', async () => {
    const listener = await b.listenTcp(8080);
    expect((await a.tcpConnect('10.77.0.2', 8080)).result).toBe('connected');
    expect((await a.tcpConnect('fd77::2', 8080)).result).toBe('connected');
    expect((await a.tcpConnect('10.77.0.2', 8081)).result).toBe('reset');
    expect((await listener.stats()).accepted).toBe(2);
    await listener.close();
  });

  it('times out quickly when nft drops, and sees the RST of an nft reject', async () => {
    await b.listenTcp(9090);
    await b.loadNft({
      nftables: [
        { table: { family: 'inet', name: 'probe' } },
        {
          chain: {
            family: 'inet',
            table: 'probe',
            name: 'in',
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'accept',
          },
        },
        {
          rule: {
            family: 'inet',
            table: 'probe',
            chain: 'in',
            expr: [
              {
                match: {
                  op: '==',
                  left: { payload: { protocol: 'tcp', field: 'dport' } },
                  right: 9090,
                },
              },
              { counter: null },
              { drop: null },
            ],
          },
        },
      ],
    });
    const dropped = await a.tcpConnect('10.77.0.2', 9090, { timeoutMs: 300 });
    expect(dropped.result).toBe('timeout');
    await b.loadNft(
      'flush chain inet probe in\nadd rule inet probe in tcp dport 9090 reject with tcp reset\n',
    );
    expect((await a.tcpConnect('10.77.0.2', 9090)).result).toBe('reset');
    const listed = JSON.stringify(await b.nftJson(['list', 'table', 'inet', 'probe']));
    expect(listed).toContain('reject');
    await b.nft(['delete', 'table', 'inet', 'probe']);
    expect((await a.tcpConnect('10.77.0.2', 9090)).result).toBe('connected');
  });

  it('sends UDP datagrams (echoed) and pings', async () => {
    const listener = await b.listenUdp(5353, { echo: true });
    expect((await a.udpSend('10.77.0.2', 5353, { replyTimeoutMs: 500 })).result).toBe('reply');
    expect((await a.udpSend('fd77::2', 5353, { replyTimeoutMs: 500 })).result).toBe('reply');
    expect((await listener.stats()).datagrams).toBe(2);
    expect((await a.ping('10.77.0.2')).result).toBe('reply');
    expect((await a.ping('fd77::2')).result).toBe('reply');
    expect((await a.ping('10.77.0.99', { timeoutMs: 300 })).result).toBe('timeout');
  });

  it('cleanup removes every namespace it made, and sweepStale removes a dead run', async () => {
    const other = new TestNet('evalnet');
    const ns = await other.namespace('x');
    await other.cleanup();
    const list = await run('ip', ['netns', 'list']);
    expect(list.stdout).not.toContain(ns.name);
    // A namespace named as if by a process that no longer exists (pid 1 is alive, so use a huge pid).
    const stale = `tw-evalnet-${(4_000_000).toString(36)}-abcd-x`;
    await run('ip', ['netns', 'add', stale]);
    expect(await sweepStale('evalnet')).toContain(stale);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(stale);
  });
});
