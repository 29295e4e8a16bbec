// Runtime: plain Node, as root. What the helper does for actions that have no kernel equivalent:
// URL probes (`ping://host`, `tcp://host:port`), URL `http(s)://` and Webhook POSTs of the event
// as JSON, Email through the configured SMTP relay, Script from the configured scripts folder
// (the event as JSON on stdin), Notify / Alert events. Each returns one `notify:event` payload
// describing what happened; like IPNetSentryX's, they report and go on (no verdict here).
// Invariants: nothing here runs a shell; hosts and ports reach `ping` only as separate arguments
// after validation; a script runs only from the helper's scripts folder (scripts.ts). Only
// destinations the helper's configuration allows are contacted (outbound.ts), mail goes only to
// the configured relay (action-config.ts), and a redirect is reported, never followed.

import { spawn } from 'node:child_process';
import { isIP, createConnection } from 'node:net';
import type { NotifyEventData } from '../../shared/ipc/helper-protocol.ts';
import { effectivelyEnabledIds, numberRules, walk } from '../../shared/model/tree.ts';
import type { FirewallDocument, Problem, Rule } from '../../shared/model/types.ts';
import { createTransport } from 'nodemailer';
import { parseParameter } from '../../shared/model/parameters.ts';
import { defaultActionConfig, type ActionConfig } from './action-config.ts';
import { OutboundPolicy } from './outbound.ts';
import { systemProgram } from './programs.ts';
import { resolveScript, runScript } from './scripts.ts';

export interface ActionContext {
  rule: Rule;
  number: string | null;
  /** Why it fired: "Idle seconds >= 60", "packet from 10.0.0.2", ... */
  reason: string;
  /** The packet that fired it (packet rules), as the log stream describes it. */
  packet?: Record<string, string | number | null>;
}

/** The event as JSON: what a Webhook / URL POSTs, a script reads on stdin, an Email carries. */
export function eventJson(ctx: ActionContext): string {
  const { rule } = ctx;
  return JSON.stringify({
    time: new Date().toISOString(),
    rule: {
      id: rule.id,
      number: ctx.number,
      name: rule.name,
      action: rule.action,
      parameter: rule.parameter,
    },
    reason: ctx.reason,
    ...(ctx.packet ? { packet: ctx.packet } : {}),
  });
}

async function post(
  ctx: ActionContext,
  kind: 'url' | 'webhook',
  url: string,
  label: string,
): Promise<NotifyEventData> {
  const title = `${ctx.rule.action} ${url}`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: eventJson(ctx),
      signal: AbortSignal.timeout(5000),
      // Never followed: a redirect could lead anywhere, the allow list names this URL only.
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    const redirected = response.status >= 300 && response.status < 400;
    return event(
      ctx,
      kind,
      title,
      `${label}: HTTP ${response.status}${redirected ? ' (redirect not followed)' : ''}`,
      response.ok,
    );
  } catch (error) {
    return event(ctx, kind, title, `${label}: ${(error as Error).message}`, false);
  }
}

async function sendMail(
  ctx: ActionContext,
  config: ActionConfig,
  label: string,
): Promise<NotifyEventData> {
  const parsed = parseParameter(ctx.rule.action, ctx.rule.parameter);
  const named = parsed.ok && parsed.value.kind === 'email' ? parsed.value.addresses : [];
  const to = named.length > 0 ? named : config.mailTo ? [config.mailTo] : [];
  if (!config.smtpRelay) {
    return event(
      ctx,
      'email',
      'Email not sent',
      `${label}: ${ctx.reason} (no SMTP relay configured on the helper: smtp-relay in ${config.source})`,
      false,
    );
  }
  if (to.length === 0) {
    return event(
      ctx,
      'email',
      'Email not sent',
      `${label}: the rule names no address and the helper has no mail-to (${config.source})`,
      false,
    );
  }
  const relay = config.smtpRelay;
  const secure = relay.protocol === 'smtps:';
  const transport = createTransport({
    host: relay.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: relay.port === '' ? (secure ? 465 : 25) : Number(relay.port),
    secure,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  const note = parsed.ok && parsed.value.kind === 'note' ? ` (${parsed.value.text})` : '';
  try {
    await transport.sendMail({
      from: config.mailFrom,
      to,
      subject: `treewall security alert: ${label}${note}`,
      text: `${label}: ${ctx.reason}\n\n${JSON.stringify(JSON.parse(eventJson(ctx)), null, 2)}\n`,
    });
    return event(ctx, 'email', `Email to ${to.join(', ')}`, `${label}: sent`, true);
  } catch (error) {
    return event(
      ctx,
      'email',
      `Email to ${to.join(', ')}`,
      `${label}: ${(error as Error).message}`,
      false,
    );
  } finally {
    transport.close();
  }
}

async function script(
  ctx: ActionContext,
  config: ActionConfig,
  label: string,
): Promise<NotifyEventData> {
  const parsed = parseParameter(ctx.rule.action, ctx.rule.parameter);
  if (!parsed.ok || parsed.value.kind !== 'command')
    return event(ctx, 'script', 'Script not run', `${label}: no command`, false);
  const { path, args } = parsed.value;
  let file: string;
  try {
    file = await resolveScript(config.scriptsDir, path);
  } catch (error) {
    return event(
      ctx,
      'script',
      `Script ${path} not run`,
      `${label}: ${(error as Error).message}`,
      false,
    );
  }
  const r = await runScript(file, args, `${eventJson(ctx)}\n`);
  const how = r.timedOut
    ? 'killed at the timeout'
    : r.code !== null
      ? `exit ${r.code}`
      : `ended by ${r.signal ?? 'an error'}`;
  return event(
    ctx,
    'script',
    `Script ${path}`,
    `${label}: ${how}${r.output ? `: ${r.output}` : ''}`,
    !r.timedOut && r.code === 0,
  );
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
  config: ActionConfig = defaultActionConfig(),
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
      if (/^https?:\/\//i.test(text)) return post(ctx, 'url', text, label);
      const url = /^(ping|tcp):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/i.exec(text);
      if (!url) {
        return event(
          ctx,
          'url',
          `URL ${text}`,
          `${label}: only ping://, tcp://, http:// and https:// URLs are supported`,
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
    case 'Webhook':
      if (!/^https?:\/\//i.test(text))
        return event(ctx, 'webhook', 'Webhook', `${label}: needs an http(s) URL`, false);
      return post(ctx, 'webhook', text, label);
    case 'Email':
      return sendMail(ctx, config, label);
    case 'Script':
      return script(ctx, config, label);
    case 'Log':
      return event(ctx, 'notify', label, `${ctx.reason}`, null);
    default:
      return null;
  }
}

/**
 * What the helper's configuration says about a document's acting actions, before it is applied:
 * a Script that is not a safe file of the scripts folder is an error (the document is refused,
 * the rule named); an Email the helper cannot send (no relay, no address) is a warning.
 * Effectively enabled rules only (disabled rules never fire).
 */
export async function checkActions(
  doc: FirewallDocument,
  config: ActionConfig,
): Promise<{ errors: Problem[]; warnings: Problem[] }> {
  const errors: Problem[] = [];
  // Most documents have neither: one cheap walk, no numbering (applies of 100,000 rules).
  let any = false;
  walk(doc.rules, (rule) => {
    if (rule.action === 'Email' || rule.action === 'Script') any = true;
  });
  if (!any) return { errors, warnings: [] };
  const enabled = effectivelyEnabledIds(doc.rules);
  const numbers = numberRules(doc.rules);
  const warnings: Problem[] = [];
  const scripts: Rule[] = [];
  walk(doc.rules, (rule) => {
    if (!enabled.has(rule.id)) return;
    const problem = (message: string): Problem => ({
      ruleId: rule.id,
      number: numbers.get(rule.id) ?? '',
      field: 'parameter',
      message,
    });
    if (rule.action === 'Script') scripts.push(rule);
    if (rule.action === 'Email') {
      const parsed = parseParameter(rule.action, rule.parameter);
      const named = parsed.ok && parsed.value.kind === 'email' && parsed.value.addresses.length > 0;
      if (!config.smtpRelay)
        warnings.push(
          problem(
            `Email: no SMTP relay configured on the helper (smtp-relay in ${config.source}); the event is reported, no mail is sent`,
          ),
        );
      else if (!named && !config.mailTo)
        warnings.push(
          problem(
            `Email names no address and the helper has no mail-to (${config.source}); no mail is sent`,
          ),
        );
    }
  });
  for (const rule of scripts) {
    const parsed = parseParameter(rule.action, rule.parameter);
    if (!parsed.ok || parsed.value.kind !== 'command') continue; // validation names it
    try {
      await resolveScript(config.scriptsDir, parsed.value.path);
    } catch (error) {
      errors.push({
        ruleId: rule.id,
        number: numbers.get(rule.id) ?? '',
        field: 'parameter',
        message: `Script ${parsed.value.path}: ${(error as Error).message}`,
      });
    }
  }
  return { errors, warnings };
}
