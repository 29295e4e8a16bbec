// Issue 13 C: helper actions that act. A real helper in a namespace, real packets from a client
// namespace; an SMTP server (smtp-server) and an HTTP server on the helper namespace's loopback.
// Email reaches the relay of the helper's configuration, a Webhook reaches the allowed URL, a
// script of the root-owned scripts folder runs with the event as JSON on stdin; what the
// configuration does not allow is refused at apply naming the rule; a flood of 1,000 matching
// packets runs at most the configured number of actions, and the rest are counted and reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyEventData } from '../../shared/ipc/helper-protocol.ts';
import { createRule } from '../../shared/model/tree.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { HelperCallError, type HelperClient } from '../common/helper-client.ts';
import { kernelSkipReason, kernelTestsAvailable } from '../testing/netns.ts';
import { waitFor } from '../testing/processes.ts';

/** Wait until `cond` holds. */
const until = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) =>
  waitFor(what, async () => ((await cond()) ? true : undefined), timeoutMs);
import {
  repoRoot,
  startHelperInNamespace,
  type HelperInNamespace,
} from '../testing/treewall-processes.ts';
import { ActionLimiter, parseActionConfig } from './action-config.ts';
import { resolveScript } from './scripts.ts';

const doc = (rules: Rule[]): FirewallDocument => ({ rules, settings: { ...DEFAULT_SETTINGS } });
/** A rule for UDP datagrams to `port` with this action. */
const onPort = (id: string, port: number, action: Rule['action'], parameter: string): Rule =>
  createRule({ id, property: 'Dest port', relation: '==', value: String(port), action, parameter });

const SMTP_PORT = 2525;
const HTTP_PORT = 8089;
const RATE = 3; // actions per rule per minute in the test's configuration

describe('actions.conf and the action limiter (pure)', () => {
  it('reads the keys and names the line of a bad one', () => {
    const c = parseActionConfig(
      'smtp-relay = smtp://127.0.0.1:2525 # test\nmail-to = a@b.example\nscripts-dir = /etc/tw/scripts\naction-rate = 5/minute\n',
      'f',
    );
    expect(c.smtpRelay?.port).toBe('2525');
    expect(c.mailTo).toBe('a@b.example');
    expect(c.perRule).toEqual({ count: 5, perMs: 60_000 });
    expect(() => parseActionConfig('\nsmtp-relay = smtp://u:p@relay', 'f')).toThrow(
      /f line 2: smtp-relay: credentials are not supported/,
    );
    expect(() => parseActionConfig('scripts-dir = scripts', 'f')).toThrow(/not an absolute path/);
    expect(() => parseActionConfig('colour = red', 'f')).toThrow(/unknown key "colour"/);
  });
  it('lets at most the rate through per rule and in all, and counts the rest', () => {
    const l = new ActionLimiter({ count: 3, perMs: 60_000 }, { count: 4, perMs: 60_000 }, 0);
    const a = Array.from({ length: 1000 }, () => l.take('a', 10)).filter(Boolean).length;
    expect(a).toBe(3);
    expect(l.take('b', 10)).toBe(true);
    expect(l.take('c', 10)).toBe(false); // the total is spent
    expect(l.dropped.get('a')).toBe(997);
    expect(l.take('a', 20_010)).toBe(true); // 20 s later: one token back
    expect(l.droppedTotal).toBe(998);
  });
});

describe.skipIf(!kernelTestsAvailable)(
  `helper actions that act, in a namespace${kernelSkipReason ? ` (${kernelSkipReason})` : ''}`,
  () => {
    let h: HelperInNamespace;
    let servers: ChildProcess | undefined;
    let client: HelperClient;
    const scripts = mkdtempSync(join(tmpdir(), 'tw-scripts-'));
    const outFile = join(mkdtempSync(join(tmpdir(), 'tw-script-out-')), 'event.json');
    const mails: { to: string[]; data: string }[] = [];
    const posts: { url: string; body: string }[] = [];
    const events: NotifyEventData[] = [];

    beforeAll(async () => {
      // The scripts folder: root-owned (we are root), 0755; one good script, one anyone may write.
      chmodSync(scripts, 0o755);
      writeFileSync(
        join(scripts, 'record.sh'),
        `#!/bin/sh\n{ echo "args: $*"; cat; } > '${outFile}'\n`,
        { mode: 0o755 },
      );
      writeFileSync(join(scripts, 'open.sh'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(scripts, 'open.sh'), 0o777);
      h = await startHelperInNamespace('actions', {
        stateFiles: {
          'actions.conf': [
            `smtp-relay = smtp://127.0.0.1:${SMTP_PORT}`,
            'mail-from = firewall@test.example',
            `scripts-dir = ${scripts}`,
            `action-rate = ${RATE}/minute`,
            'action-rate-total = 100/minute',
          ].join('\n'),
          'outbound-allow': `http://127.0.0.1:${HTTP_PORT}/hook\n`,
        },
      });
      // The relay and the web server, on the helper namespace's loopback.
      const script = `
        const { SMTPServer } = require('smtp-server');
        const http = require('http');
        const log = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
        const smtp = new SMTPServer({
          authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
          onData(stream, session, cb) {
            let data = ''; stream.on('data', (d) => (data += d));
            stream.on('end', () => { log({ mail: { to: session.envelope.rcptTo.map((r) => r.address), data } }); cb(); });
          },
        });
        smtp.listen(${SMTP_PORT}, '127.0.0.1', () => {
          http.createServer((q, s) => {
            let body = ''; q.on('data', (d) => (body += d));
            q.on('end', () => { log({ post: { url: q.url, body } }); s.end('ok'); });
          }).listen(${HTTP_PORT}, '127.0.0.1', () => log({ ready: true }));
        });`;
      servers = spawn('ip', ['netns', 'exec', h.server.name, process.execPath, '-e', script], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let ready = false;
      createInterface({ input: servers.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as {
          ready?: boolean;
          mail?: (typeof mails)[0];
          post?: (typeof posts)[0];
        };
        if (m.ready) ready = true;
        if (m.mail) mails.push(m.mail);
        if (m.post) posts.push(m.post);
      });
      await until('the SMTP and HTTP servers', () => ready, 15_000);
      client = await h.connect();
      client.on('notify:event', (e) => events.push(e));
    }, 60_000);

    afterAll(async () => {
      await client?.close();
      servers?.kill();
      await h?.stop();
      rmSync(scripts, { recursive: true, force: true });
      rmSync(join(outFile, '..'), { recursive: true, force: true });
    });

    it('refuses what the configuration does not allow, naming the rule', async () => {
      const refused = async (rules: Rule[]) => {
        const error = await client.call('apply', { document: doc(rules) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(HelperCallError);
        return (error as HelperCallError).problems ?? [];
      };
      const pass = createRule({ id: 'p', action: 'Pass' });
      expect(
        await refused([pass, onPort('w', 9, 'Webhook', `http://127.0.0.1:${HTTP_PORT}/other`)]),
      ).toEqual([
        expect.objectContaining({
          number: '2',
          message: expect.stringMatching(/^Webhook destination .* is not allowed/),
        }),
      ]);
      const scriptProblems = await refused([
        onPort('a', 9, 'Script', '/bin/true'),
        onPort('b', 9, 'Script', 'open.sh'),
        onPort('c', 9, 'Script', 'missing.sh'),
      ]);
      expect(scriptProblems.map((p) => [p.number, p.message])).toEqual([
        ['1', expect.stringMatching(/^Script \/bin\/true: .* is outside the scripts folder/)],
        [
          '2',
          expect.stringMatching(/^Script open.sh: script .* is writable by others \(mode 777\)/),
        ],
        ['3', expect.stringMatching(/does not exist in the scripts folder/)],
      ]);
      // Path traversal is refused by validation already (the parameter itself).
      expect(await refused([onPort('d', 9, 'Script', '../../bin/sh')])).toEqual([
        expect.objectContaining({
          number: '1',
          message: expect.stringMatching(/leaves the scripts folder/),
        }),
      ]);
      // A symlink inside the folder that leads out of it.
      const { symlinkSync } = await import('node:fs');
      symlinkSync('/bin/true', join(scripts, 'escape.sh'));
      await expect(resolveScript(scripts, 'escape.sh')).rejects.toThrow(
        /leads outside the scripts folder/,
      );
    });

    it('sends the Email, POSTs the Webhook and runs the Script when packets match', async () => {
      await client.call('apply', {
        document: doc([
          onPort('mail', 7001, 'Email', 'ops@example.org'),
          onPort('hook', 7002, 'Webhook', `http://127.0.0.1:${HTTP_PORT}/hook/alert`),
          onPort('run', 7003, 'Script', 'record.sh "first arg"'),
        ]),
      });
      for (const port of [7001, 7002, 7003]) await h.client.udpSend(h.serverAddress, port);
      await until(
        `a mail, a POST and the script's output (events: ${JSON.stringify(events)})`,
        () => mails.length >= 1 && posts.length >= 1 && readable(outFile),
        15_000,
      );
      expect(mails[0]!.to).toEqual(['ops@example.org']);
      expect(mails[0]!.data).toMatch(/From: firewall@test.example/);
      expect(mails[0]!.data).toMatch(/"number": "1"/);
      const hook = JSON.parse(posts[0]!.body) as {
        rule: { number: string };
        packet: Record<string, unknown>;
      };
      expect(posts[0]!.url).toBe('/hook/alert');
      expect(hook.rule.number).toBe('2');
      expect(hook.packet).toMatchObject({ src: h.clientAddress, dstPort: 7002, protocol: 'udp' });
      const [args, json] = readFileSync(outFile, 'utf8').split('\n');
      expect(args).toBe('args: first arg');
      expect(JSON.parse(json!)).toMatchObject({
        rule: { number: '3', action: 'Script' },
        packet: { src: h.clientAddress, dstPort: 7003 },
      });
      await until(
        'the three results as events',
        () => ['email', 'webhook', 'script'].every((k) => events.some((e) => e.kind === k && e.ok)),
        10_000,
      );
    });

    it('a flood of 1,000 matching packets runs at most the rate limit of actions', async () => {
      await client.call('apply', {
        document: doc([
          onPort('flood', 7004, 'Webhook', `http://127.0.0.1:${HTTP_PORT}/hook/flood`),
        ]),
      });
      const before = (await client.call('status', {})).actions?.dropped ?? 0;
      await h.client.sh(
        `python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1000):
    s.sendto(b'x', ('${h.serverAddress}', 7004))
    time.sleep(0.002)
"`,
      );
      await until(
        'the dropped actions counted',
        async () => ((await client.call('status', {})).actions?.dropped ?? 0) - before >= 900,
        15_000,
      );
      await until(
        'the drop report',
        () => events.some((e) => e.ruleNumber === '1' && /rate limit/.test(e.title)),
        10_000,
      );
      const flood = posts.filter((p) => p.url === '/hook/flood').length;
      const status = await client.call('status', {});
      expect(flood).toBeGreaterThanOrEqual(1);
      expect(flood).toBeLessThanOrEqual(RATE);
      expect(status.actions!.droppedByRule.flood).toBeGreaterThanOrEqual(900);
    }, 40_000);
  },
);

function readable(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes('}');
  } catch {
    return false;
  }
}
