// Runtime: plain Node, as root. The helper's own settings for the actions that act (Email,
// Script) and for the rate at which any acting action may run: the file `actions.conf` in the
// state directory, `key = value` lines with `#` comments. Never the document's: a document names
// a recipient or a script's file name, the helper's configuration says where mail goes out and
// which folder scripts come from. (Where URL and Webhook requests may go is outbound.ts.)
// Keys:
//   smtp-relay   smtp://host[:port] or smtps://host[:port]  (no relay: Email is reported, not sent)
//   mail-from    the From address (default treewall@<hostname>)
//   mail-to      recipient of Email rules that name none (IPNetSentryX: the preferences' address)
//   scripts-dir  absolute path of a root-owned folder, not writable by group or others
//   action-rate        per rule: `N/minute` (or /second, /hour); default 10/minute
//   action-rate-total  all rules together; default 60/minute
// Invariant: a bad line stops the helper at start with the file and line named (no guessing).

import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export const ACTIONS_FILE = 'actions.conf';

export interface Rate {
  count: number;
  perMs: number;
}

export interface ActionConfig {
  smtpRelay: URL | null;
  mailFrom: string;
  mailTo: string | null;
  scriptsDir: string | null;
  perRule: Rate;
  total: Rate;
  /** Where it came from, for messages. */
  source: string;
}

const PERIOD_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

const EMAIL = /^[^\s@,<>"]+@[^\s@,<>"]+$/;

export function parseActionRate(text: string): Rate | undefined {
  const m = /^(\d{1,6}) ?\/ ?([a-z]+)$/i.exec(text.trim());
  const perMs = m ? PERIOD_MS[m[2]!.toLowerCase()] : undefined;
  if (!m || perMs === undefined || Number(m[1]) < 1) return undefined;
  return { count: Number(m[1]), perMs };
}

export function defaultActionConfig(source = 'the defaults'): ActionConfig {
  return {
    smtpRelay: null,
    mailFrom: `treewall@${hostname() || 'localhost'}`,
    mailTo: null,
    scriptsDir: null,
    perRule: { count: 10, perMs: 60_000 },
    total: { count: 60, perMs: 60_000 },
    source,
  };
}

/** Parse the file's text; throws naming the file, line and key. */
export function parseActionConfig(text: string, source: string): ActionConfig {
  const config = defaultActionConfig(source);
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const bad = (why: string): never => {
      throw new Error(`${source} line ${i + 1}: ${why}`);
    };
    const m = /^([a-z-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) bad(`"${line}" is not key = value`);
    const [, key, value] = m!;
    switch (key) {
      case 'smtp-relay': {
        let url: URL | undefined;
        try {
          url = new URL(value!);
        } catch {
          url = undefined;
        }
        if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname)
          bad(`smtp-relay "${value}" is not smtp://host[:port] or smtps://host[:port]`);
        if (url!.username || url!.password)
          bad('smtp-relay: credentials are not supported (use a relay that accepts this host)');
        config.smtpRelay = url!;
        break;
      }
      case 'mail-from':
      case 'mail-to':
        if (!EMAIL.test(value!)) bad(`${key} "${value}" is not an e-mail address`);
        if (key === 'mail-from') config.mailFrom = value!;
        else config.mailTo = value!;
        break;
      case 'scripts-dir':
        if (!path.isAbsolute(value!)) bad(`scripts-dir "${value}" is not an absolute path`);
        config.scriptsDir = path.normalize(value!);
        break;
      case 'action-rate':
      case 'action-rate-total': {
        const rate = parseActionRate(value!);
        if (!rate) bad(`${key} "${value}" is not N/second, N/minute or N/hour`);
        if (key === 'action-rate') config.perRule = rate!;
        else config.total = rate!;
        break;
      }
      default:
        bad(
          `unknown key "${key}" (smtp-relay, mail-from, mail-to, scripts-dir, action-rate, action-rate-total)`,
        );
    }
  });
  return config;
}

/** `<stateDir>/actions.conf`, or the defaults when there is none. */
export async function loadActionConfig(stateDir: string): Promise<ActionConfig> {
  const file = path.join(stateDir, ACTIONS_FILE);
  try {
    return parseActionConfig(await fs.readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaultActionConfig(file);
    throw error;
  }
}

export const describeRate = (r: Rate): string =>
  `${r.count}/${r.perMs === 1000 ? 'second' : r.perMs === 60_000 ? 'minute' : r.perMs === 3_600_000 ? 'hour' : `${r.perMs} ms`}`;

/**
 * Token buckets for acting actions: one per rule and one for all, each holding `count` tokens,
 * refilled at count per period. An action runs only if both have a token; otherwise it is
 * counted as dropped (per rule), and reported.
 */
export class ActionLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly total: { tokens: number; at: number };
  readonly dropped = new Map<string, number>();
  droppedTotal = 0;

  constructor(
    readonly perRule: Rate,
    readonly all: Rate,
    now = Date.now(),
  ) {
    this.total = { tokens: all.count, at: now };
  }

  private refill(b: { tokens: number; at: number }, rate: Rate, now: number): void {
    b.tokens = Math.min(rate.count, b.tokens + ((now - b.at) * rate.count) / rate.perMs);
    b.at = now;
  }

  /** Take a token for this rule (and one from the total); false: dropped and counted. */
  take(ruleId: string, now = Date.now()): boolean {
    let b = this.buckets.get(ruleId);
    if (!b) this.buckets.set(ruleId, (b = { tokens: this.perRule.count, at: now }));
    this.refill(b, this.perRule, now);
    this.refill(this.total, this.all, now);
    if (b.tokens < 1 || this.total.tokens < 1) {
      this.dropped.set(ruleId, (this.dropped.get(ruleId) ?? 0) + 1);
      this.droppedTotal++;
      return false;
    }
    b.tokens -= 1;
    this.total.tokens -= 1;
    return true;
  }
}
