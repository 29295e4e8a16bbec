// Runtime: plain Node, as root. What the helper does for actions that have no kernel equivalent:
// URL probes (`ping://host`, `tcp://host:port`), Notify / Alert events, Webhook POSTs. Each
// returns one `notify:event` payload describing what happened.
// Invariant: nothing here runs a shell or a user-supplied program; hosts and ports reach `ping`
// only as separate arguments after validation. Email and Script are reported, never executed.
// Only destinations the helper's configuration allows are contacted (outbound.ts), and a
// Webhook's redirect is reported, never followed.

import { spawn } from 'node:child_process';
import { isIP, createConnection } from 'node:net';
import type { NotifyEventData } from '../../shared/ipc/helper-protocol.ts';
import type { Rule } from '../../shared/model/types.ts';
import { OutboundPolicy } from './outbound.ts';
import { systemProgram } from './programs.ts';

export interface ActionContext {
  rule: Rule;
  number: string | null;
  /** Why it fired: "Idle seconds >= 60", "packet from 10.0.0.2", ... */
  reason: string;
}

const HOST = /^[A-Za-z0-9.-]{1,253}$/;

function event(
  ctx: ActionContext,
  kind: NotifyEventData['kind'],
  title: string,
  body: string,
  ok: boolean | null,
): NotifyEventData {
  return {
    time: new Date().toISOString(),
    kind,
    ruleId: ctx.rule.id,
    ruleNumber: ctx.number,
    title,
    body,
    ok,
  };
}

export function pingOnce(host: string, timeoutSeconds = 2): Promise<boolean> {
  return new Promise((resolve) => {
    const args = [
      isIP(host) === 6 ? '-6' : '-4',
      '-c',
      '1',
      '-W',
      String(timeoutSeconds),
      '-n',
      '--',
      host,
    ];
    const child = spawn(systemProgram('ping'), args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

export function tcpProbe(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Run a helper-side action once. Never throws: failures come back as events with ok=false. */
export async function runAction(
  ctx: ActionContext,
  outbound: OutboundPolicy = OutboundPolicy.none(),
): Promise<NotifyEventData | null> {
  const { rule } = ctx;
  const label = `rule ${ctx.number ?? rule.id}${rule.name ? ` (${rule.name})` : ''}`;
  const text = rule.parameter.trim();
  if ((rule.action === 'URL' || rule.action === 'Webhook') && !outbound.allows(text)) {
    return event(
      ctx,
      rule.action === 'URL' ? 'url' : 'webhook',
      `${rule.action} ${text}`,
      `${label}: not contacted: the destination is not allowed by the helper's configuration`,
      false,
    );
  }
  switch (rule.action) {
    case 'Alert':
    case 'Notify':
      return event(
        ctx,
        rule.action === 'Alert' ? 'alert' : 'notify',
        text || label,
        `${label}: ${ctx.reason}`,
        null,
      );
    case 'URL': {
      const url = /^(ping|tcp):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/i.exec(text);
      if (!url) {
        return event(
          ctx,
          'url',
          `URL ${text}`,
          `${label}: only ping:// and tcp:// URLs are supported`,
          false,
        );
      }
      const scheme = url[1]!.toLowerCase();
      const host = url[2]!;
      if (!HOST.test(host) && isIP(host) === 0)
        return event(ctx, 'url', `URL ${text}`, `${label}: bad host`, false);
      if (scheme === 'ping') {
        const ok = await pingOnce(host);
        return event(ctx, 'url', `ping ${host}`, `${label}: ${ok ? 'reply' : 'no reply'}`, ok);
      }
      const port = Number(url[3]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return event(ctx, 'url', `URL ${text}`, `${label}: tcp:// needs a port`, false);
      }
      const ok = await tcpProbe(host, port);
      return event(
        ctx,
        'url',
        `tcp ${host}:${port}`,
        `${label}: ${ok ? 'connected' : 'no connection'}`,
        ok,
      );
    }
    case 'Webhook': {
      if (!/^https?:\/\//i.test(text))
        return event(ctx, 'webhook', 'Webhook', `${label}: needs an http(s) URL`, false);
      try {
        const response = await fetch(text, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            ruleId: rule.id,
            ruleNumber: ctx.number,
            name: rule.name,
            reason: ctx.reason,
            time: new Date().toISOString(),
          }),
          signal: AbortSignal.timeout(5000),
          // Never followed: a redirect could lead anywhere, the allow list names this URL only.
          redirect: 'manual',
        });
        await response.body?.cancel().catch(() => undefined);
        const redirected = response.status >= 300 && response.status < 400;
        return event(
          ctx,
          'webhook',
          `Webhook ${text}`,
          `${label}: HTTP ${response.status}${redirected ? ' (redirect not followed)' : ''}`,
          response.ok,
        );
      } catch (error) {
        return event(
          ctx,
          'webhook',
          `Webhook ${text}`,
          `${label}: ${(error as Error).message}`,
          false,
        );
      }
    }
    case 'Email':
      return event(
        ctx,
        'email',
        'Email not sent',
        `${label}: ${ctx.reason} (the helper does not send mail; forward notify:event instead)`,
        false,
      );
    case 'Script':
      return event(
        ctx,
        'script',
        'Script not run',
        `${label}: ${ctx.reason} (the helper runs no scripts as root)`,
        false,
      );
    case 'Log':
      return event(ctx, 'notify', label, `${ctx.reason}`, null);
    default:
      return null;
  }
}
