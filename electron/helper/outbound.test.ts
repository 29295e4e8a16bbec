// Issue 12 item 5: outbound requests from the root helper. A real helper process in a network
// namespace, HTTP servers on that namespace's loopback: only destinations on the helper's own
// list are contacted, a Webhook's redirect is never followed, refused destinations are problems
// naming the rule, and probe/Webhook results reach only the client that applied the rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyEventData } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { kernelSkipReason, kernelTestsAvailable, sweepStale, TestNet } from '../testing/netns.ts';
import { HelperCallError, HelperClient } from '../common/helper-client.ts';
import { OutboundPolicy, parseDestination } from './outbound.ts';
import { startProcess, waitFor, waitUntil, type Started } from '../testing/processes.ts';
import { startHelper, type HelperProcess } from '../testing/treewall-processes.ts';

const rule = (id: string, partial: Partial<Rule>): Rule => createRule({ id, ...partial });
const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });
/** Fires every second from the helper's timer. */
const every = (id: string, action: Rule['action'], parameter: string): Rule =>
  rule(id, { property: 'Idle seconds', relation: '>=', value: '1', action, parameter });

describe('the outbound allow list (pure)', () => {
  const policy = OutboundPolicy.parse(
    [
      'https://hooks.example.com/treewall   # the team channel',
      'http://127.0.0.1:8080',
      'tcp://10.0.0.5',
      'tcp://[fd00::1]:22',
      'ping://10.0.0.7',
    ],
    'test',
  );
  it.each([
    ['https://hooks.example.com/treewall', true],
    ['https://HOOKS.example.com/treewall/x?y=1', true],
    ['https://hooks.example.com/treewallx', false],
    ['https://hooks.example.com/other', false],
    ['http://hooks.example.com/treewall', false],
    ['https://hooks.example.com:8443/treewall', false],
    ['http://127.0.0.1:8080/anything', true],
    ['http://127.0.0.1/anything', false],
    ['http://localhost:8080/', false],
    ['http://2130706433:8080/', true], // the same address, as WHATWG URL reads it
    ['tcp://10.0.0.5:22', true],
    ['tcp://10.0.0.5:65535', true],
    ['tcp://10.0.0.6:22', false],
    ['tcp://[fd00:0::1]:22', true],
    ['tcp://[fd00::1]:23', false],
    ['ping://10.0.0.7', true],
    ['ping://10.0.0.5', false],
    ['ftp://10.0.0.5', false],
  ])('%s -> %s', (url, allowed) => {
    expect(policy.allows(url)).toBe(allowed);
  });
  it('allows nothing by default and refuses entries it cannot read', () => {
    expect(OutboundPolicy.none().allows('https://hooks.example.com/treewall')).toBe(false);
    expect(() => OutboundPolicy.parse(['smtp://x'], 'f')).toThrow(/f: "smtp:\/\/x" is not/);
    expect(parseDestination('tcp://10.0.0.5')).toBeUndefined(); // a probe needs its port
  });
  it('names the effectively enabled rules whose destination is not allowed', () => {
    const d = doc([
      rule('a', { action: 'Pass' }),
      rule('b', {
        action: '->',
        children: [
          rule('c', { action: 'Webhook', parameter: 'https://evil.example/' }),
          rule('d', { action: 'URL', parameter: 'tcp://10.0.0.5:22' }),
        ],
      }),
      rule('e', { enabled: false, action: 'URL', parameter: 'tcp://10.9.9.9:22' }),
    ]);
    expect(policy.problems(d)).toEqual([
      expect.objectContaining({ ruleId: 'c', number: '2.1', field: 'parameter' }),
    ]);
    expect(policy.problems(d)[0]!.message).toMatch(
      /^Webhook destination https:\/\/evil.example\/ is not allowed by the helper's configuration/,
    );
  });
});

describe.skipIf(!kernelTestsAvailable)(
  `helper outbound requests in a namespace${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    const net = new TestNet('outbound');
    let helper: HelperProcess | undefined;
    let servers: Started | undefined;
    let portA = 0; // redirects to B
    let portB = 0; // must never be reached
    let owner: HelperClient;
    let other: HelperClient;
    const ownerEvents: NotifyEventData[] = [];
    const otherEvents: NotifyEventData[] = [];
    /** The requests that reached the two servers (they print one JSON line each). */
    const hits = (): { server: string; url: string; method: string }[] =>
      (servers?.output() ?? '')
        .split('\n')
        .filter((line) => line.startsWith('{"server"'))
        .map((line) => JSON.parse(line) as { server: string; url: string; method: string });

    beforeAll(async () => {
      await sweepStale('outbound');
      const ns = await net.namespace('h');
      // Two HTTP servers on the namespace's loopback: A answers every request with a redirect to
      // B; B records whatever reaches it.
      const script = `
        const http = require('http');
        const log = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
        const b = http.createServer((q, s) => { log({ server: 'B', url: q.url, method: q.method }); s.end('ok'); });
        b.listen(0, '127.0.0.1', () => {
          const a = http.createServer((q, s) => {
            log({ server: 'A', url: q.url, method: q.method });
            q.resume();
            s.writeHead(307, { location: 'http://127.0.0.1:' + b.address().port + '/landed' }).end();
          });
          a.listen(0, '127.0.0.1', () => log({ ports: [a.address().port, b.address().port] }));
        });`;
      const started = startProcess([
        'ip',
        'netns',
        'exec',
        ns.name,
        process.execPath,
        '-e',
        script,
      ]);
      servers = started;
      [portA, portB] = await waitUntil(
        async () => {
          const m = /\{"ports":\[(\d+),(\d+)\]\}/.exec(started.output());
          if (!m) throw new Error('no ports printed yet');
          return [Number(m[1]), Number(m[2])];
        },
        { what: 'the HTTP servers', process: started },
      );
      // One destination from the command line, one from the state directory's file.
      helper = await startHelper({
        namespace: ns.name,
        folderMode: 0o711,
        args: ['--log-group', '3011', '--allow-outbound', `http://127.0.0.1:${portA}/hook`],
        stateFiles: { 'outbound-allow': `# probes\ntcp://127.0.0.1:${portB}\n` },
      });
      owner = await helper.connect();
      other = await helper.connect();
      owner.on('notify:event', (e) => ownerEvents.push(e));
      other.on('notify:event', (e) => otherEvents.push(e));
    }, 60_000);

    afterAll(async () => {
      await owner?.call('stop', {}).catch(() => undefined);
      await owner?.close().catch(() => undefined);
      await other?.close().catch(() => undefined);
      await helper?.stop();
      await servers?.stop();
      await net.cleanup();
    });

    it('says at start which destinations it allows', () => {
      expect(helper!.output()).toContain(
        `outbound destinations for URL probes and Webhooks: http://127.0.0.1:${portA}/hook, tcp://127.0.0.1:${portB}`,
      );
    });

    it('refuses an apply whose Webhook or probe goes elsewhere, naming each rule', async () => {
      const refused = doc([
        rule('ok', { action: 'Pass' }),
        rule('grp', {
          action: '->',
          children: [
            every('hookB', 'Webhook', `http://127.0.0.1:${portB}/`),
            every('scan', 'URL', 'tcp://127.0.0.1:22'),
            every('pingout', 'URL', 'ping://10.200.0.1'),
            every('okhook', 'Webhook', `http://127.0.0.1:${portA}/hook/x`),
          ],
        }),
      ]);
      const error = await owner.call('apply', { document: refused }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HelperCallError);
      const e = error as HelperCallError;
      expect(e.code).toBe('invalid-document');
      expect(e.problems?.map((p) => [p.number, p.field])).toEqual([
        ['2.1', 'parameter'],
        ['2.2', 'parameter'],
        ['2.3', 'parameter'],
      ]);
      expect(e.problems?.[0]?.message).toMatch(/not allowed by the helper's configuration/);
      expect((await owner.call('status', {})).active).toBe(false);
    });

    it('never follows a redirect, and only the applying client sees the results', async () => {
      const status = await owner.call('apply', {
        document: doc([
          every('hook', 'Webhook', `http://127.0.0.1:${portA}/hook`),
          every('probe', 'URL', `tcp://127.0.0.1:${portB}`),
        ]),
      });
      expect(status.timerRules.map((t) => t.ruleId)).toEqual(['hook', 'probe']);
      const hook = await waitFor('a Webhook result', () =>
        ownerEvents.find((e) => e.ruleId === 'hook'),
      );
      expect(hook).toMatchObject({ kind: 'webhook', ok: false });
      expect(hook.body).toMatch(/HTTP 307 \(redirect not followed\)/);
      const probe = await waitFor('a probe result', () =>
        ownerEvents.find((e) => e.ruleId === 'probe'),
      );
      expect(probe).toMatchObject({ kind: 'url', ok: true, title: `tcp 127.0.0.1:${portB}` });
      // A few more rounds: A keeps being asked, B is never reached by HTTP.
      await waitFor('three requests to A', () =>
        hits().filter((h) => h.server === 'A').length >= 3 ? true : undefined,
      );
      expect(hits().filter((h) => h.server === 'A')[0]).toEqual({
        server: 'A',
        url: '/hook',
        method: 'POST',
      });
      expect(hits().filter((h) => h.server === 'B')).toEqual([]);
      expect(otherEvents.filter((e) => e.kind === 'url' || e.kind === 'webhook')).toEqual([]);
    });
  },
);
