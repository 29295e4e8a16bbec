// Runtime: vitest, root only. Data content and URL keyword in the kernel with real packets: the
// compiled fixed-offset search (shared/compiler/content.ts) deletes the datagrams and TCP segments
// carrying the text in its window and passes the others, and the kernel, the reference evaluator
// and the table walk agree on every fate and counter (runCase). Each case also pins the expected
// fates explicitly, so the three cannot agree on a wrong answer unnoticed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../shared/compiler/index.ts';
import { doc, pkt, rule } from '../../shared/evaluator/test-rules.ts';
import type { Packet } from '../../shared/evaluator/packet.ts';
import type { FirewallDocument } from '../../shared/model/types.ts';
import type { RelationName } from '../../shared/model/vocabulary.ts';
import { DataPlane, dataPlaneSkipReason } from './dataplane.ts';
import { runCase } from './differential.ts';
import { fullRunRequested } from './prerequisites.ts';
import { sweepStale, TestNet } from './netns.ts';

const udp = (payload: string, v6 = false): Packet =>
  pkt(
    v6
      ? `in eth0 udp [fd70::1]:40000 > [fd60::1]:9 payload "${payload}"`
      : `in eth0 udp 10.70.0.1:40000 > 10.60.0.1:9 payload "${payload}"`,
  );
const tcp = (payload: string, port = 80): Packet =>
  pkt(`in eth0 tcp 10.70.0.1:40000 > 10.60.0.1:${port} flags ack,psh payload "${payload}"`);

const content = (value: string, relation: RelationName = '==', id = 'c'): FirewallDocument =>
  doc([rule('Data content', value, 'Delete no log', [], { id, relation })]);

describe.skipIf(dataPlaneSkipReason !== undefined && !fullRunRequested())(
  `Data content and URL keyword in the kernel ${dataPlaneSkipReason ?? ''}`,
  () => {
    const net = new TestNet('content');
    let dp: DataPlane;
    beforeAll(async () => {
      if (dataPlaneSkipReason) throw new Error(`kernel test cannot run: ${dataPlaneSkipReason}`);
      await sweepStale('content');
      dp = await DataPlane.create(net);
    });
    afterAll(() => net.cleanup());

    /** Kernel, evaluator and table walk agree; returns the kernel's delivered flags. */
    async function fates(d: FirewallDocument, packets: Packet[]): Promise<boolean[]> {
      const result = await runCase(dp, d, packets);
      expect(result.refused).toBeUndefined();
      expect(result.disagreements).toEqual([]);
      const sent = await dp.send(packets);
      return sent.map((f) => f.delivered);
    }

    it('== deletes datagrams and segments carrying the text in the first 64 bytes, case exact', async () => {
      const pad = (n: number) => 'x'.repeat(n);
      expect(
        await fates(content('cmd.exe'), [
          udp('GET /scripts/cmd.exe?/c+dir'), // inside
          udp('GET /scripts/CMD.EXE?/c+dir'), // other case: == misses
          udp(pad(57) + 'cmd.exe'), // ends at byte 64: inside
          udp(pad(58) + 'cmd.exe'), // straddles the window's end: miss
          udp('cmd.ex'), // shorter than the text
          udp('', true), // no payload (IPv6)
          udp(pad(10) + 'cmd.exe', true), // IPv6 inside
          tcp('GET /cmd.exe HTTP/1.0'),
          tcp('GET /index.html HTTP/1.0'),
        ]),
      ).toEqual([false, true, false, true, true, true, false, false, true]);
    });

    it('a=A ignores letter case only; != holds where the text is absent', async () => {
      expect(
        await fates(content('Default.IDA', 'a=A'), [
          udp('GET /default.ida?NNNN'),
          udp('GET /DEFAULT.IDA?NNNN'),
          udp('GET /default\x0eida?NNNN'), // '.' | 0x20 is not a letter: no match
          tcp('GET /dEfAuLt.IdA'),
        ]),
      ).toEqual([false, false, true, false]);
      expect(
        await fates(content('cmd.exe', '!='), [
          udp('GET /cmd.exe'),
          udp('GET /index.html'),
          pkt('in eth0 icmp 10.70.0.1 > 10.60.0.1 type echo-request'), // no TCP/UDP payload: != holds
        ]),
      ).toEqual([true, false, false]);
    });

    it('[offset,length,terminator]: the window and the terminator bound the search', async () => {
      expect(
        await fates(content('[10,8]abc'), [
          udp('abc'), // before the window
          udp('0123456789abc'), // at its start
          udp('0123456789xxxxxabc'), // ends at byte 18 = the window's end
          udp('0123456789xxxxxxabc'), // one past: miss
        ]),
      ).toEqual([true, false, false, true]);
      expect(
        await fates(content('[0,64,47]abc', 'a=A'), [
          udp('xxABC/yy'), // before the terminator '/'
          udp('xx/ABC'), // after it: the search stopped
        ]),
      ).toEqual([false, true]);
      // A long text is compared in 16-byte pieces.
      const long = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      expect(
        await fates(content(long, 'a=A'), [
          udp('--' + long.toLowerCase()),
          udp('--' + long.slice(0, 35) + '-'),
        ]),
      ).toEqual([false, true]);
    });

    it('URL keyword: the request line of a TCP segment, any case, up to the first CR', async () => {
      const d = doc([
        rule('Dest port', '80', '->', [
          rule('URL keyword', 'cmd.exe', 'Delete no log', [], { id: 'url', relation: 'a=A' }),
        ]),
      ]);
      expect(
        await fates(d, [
          tcp('GET /scripts/CMD.EXE?/c+dir HTTP/1.1\r\nHost: x\r\n'),
          tcp('GET /index.html HTTP/1.1\r\nX-A: cmd.exe\r\n'), // after the request line's CR
          tcp('cmd.exe /index.html'), // starts before byte 3
          pkt('in eth0 udp 10.70.0.1:40000 > 10.60.0.1:80 payload "GET /cmd.exe"'), // not TCP
        ]),
      ).toEqual([false, true, true, true]);
    });

    it('an HTTP request whose URL holds the keyword never reaches the server; others do', async () => {
      const server = await net.namespace('web');
      const client = await net.namespace('browser');
      await net.link(server, client, {
        aName: 'eth0',
        bName: 'eth0',
        aAddresses: ['10.80.0.1/24'],
        bAddresses: ['10.80.0.2/24'],
      });
      // The factory default's 2.2 shape: inbound TCP to port 80, keyword -> Drop connection.
      const d = doc([
        rule('Direction', 'inbound', '->', [
          rule('Dest port', '80', '->', [
            rule('URL keyword', 'cmd.exe', 'Drop connection', [], { id: 'url', relation: 'a=A' }),
          ]),
        ]),
      ]);
      const compiled = compile(d);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
      expect((await server.loadNft(compiled.nft)).code).toBe(0);
      const listener = await server.listenTcp(80);
      const get = (path: string) =>
        client.exec(['curl', '-s', '-o', '/dev/null', '-m', '1', `http://10.80.0.1${path}`], {
          allowFail: true,
        });
      const blocked = await get('/scripts/..%c1%1c../winnt/system32/CMD.EXE?/c+dir');
      expect((await listener.stats()).bytes).toBe(0); // the request never arrived
      expect(blocked.code).not.toBe(0); // curl saw a reset (52/56), not an answer
      await get('/index.html'); // the agent accepts and reads, never answers: curl times out
      expect((await listener.stats()).bytes).toBeGreaterThan(0);
      await listener.close();
    });
  },
);
