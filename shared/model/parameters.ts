// Runtime: pure (shared/). Action parameters: `parameter` text -> ParsedParameter, by action.
// Invariant: the same text always parses the same way; errors start with the action's name
// (`Trigger duration "soon" is not a duration (...)`) and nothing throws.

import type { ActionName } from './vocabulary.ts';
import type { NumericRange, ParsedParameter, Result } from './values.ts';
import { formatIp, parseIpAddress } from './address.ts';
import { INTERFACE_NAME } from './names.ts';
import { parseBitRate, parseDurationSeconds, parseRateSpec } from './units.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

/** Delay holds packets in userspace; longer than this is a mistake, not a policy. */
export const MAX_DELAY_SECONDS = 60;
/** IPNetSentryX delays promiscuous resets by about half a second. */
export const DEFAULT_DELAY_SECONDS = 0.5;
/** nft `log prefix` takes at most 127 bytes; treewall also puts the rule id there. */
export const MAX_TEXT_PARAMETER = 127;
/** Longer parameters are refused before parsing (URLs and command lines fit easily). */
export const MAX_PARAMETER_LENGTH = 4096;

/**
 * The longest Trigger / Keep address / Authorize duration: 100 years. The kernel refuses set
 * timeouts above U64_MAX ns (~584 years, "Numerical result out of range" from nft); 100 years
 * also fits in 32 bits of seconds. Longer: `unlimited`.
 */
export const MAX_TIMEOUT_SECONDS = 36500 * 86400;

const UNLIMITED = new Set(['unlimited', 'forever', 'never', 'infinite']);

/** A duration for Trigger, Keep address, Authorize (unlimited allowed; `0` is unlimited too). */
function parseTimeout(label: string, text: string): Result<ParsedParameter> {
  if (text === '') return ok({ kind: 'default' });
  if (UNLIMITED.has(text.toLowerCase())) return ok({ kind: 'duration', seconds: 'unlimited' });
  const seconds = parseDurationSeconds(text);
  // Not a duration: IPNetSentryX kept such text as a description; the default duration applies.
  if (seconds === undefined) return ok({ kind: 'note', text });
  // As in the document settings, 0 means no expiry.
  if (seconds === 0) return ok({ kind: 'duration', seconds: 'unlimited' });
  if (seconds < 1) return fail(`${label} duration ${text} is shorter than 1 second`);
  if (seconds > MAX_TIMEOUT_SECONDS) {
    return fail(
      `${label} duration ${text} is longer than the kernel takes (at most 36500 days, 100 years; or unlimited)`,
    );
  }
  return ok({ kind: 'duration', seconds: Math.round(seconds) });
}

/**
 * Delay: a duration (`0.5`, `500ms`, `2s`; empty: half a second), optionally followed by `open`
 * (the default) or `closed`: what happens to the rule's packets when the helper's queue worker is
 * not there (docs/vocabulary.md, Delay): open passes them at once, closed deletes them.
 */
function parseDelay(text: string): Result<ParsedParameter> {
  if (text === '') return ok({ kind: 'default' });
  const mode = /^(.*?)\s*\b(open|closed)$/i.exec(text);
  const failClosed = mode !== null && (mode[2] as string).toLowerCase() === 'closed';
  const time = mode ? (mode[1] as string) : text;
  const seconds = time === '' ? DEFAULT_DELAY_SECONDS : parseDurationSeconds(time);
  if (seconds === undefined) {
    return fail(
      `Delay "${text}" is not a duration (e.g. 0.5, 500ms, 2s), optionally followed by open or closed`,
    );
  }
  if (seconds > MAX_DELAY_SECONDS) {
    return fail(`Delay ${time} is too long (at most ${MAX_DELAY_SECONDS} seconds)`);
  }
  return ok({ kind: 'duration', seconds, ...(failClosed ? { failClosed: true as const } : {}) });
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A host in a URL: a name, an IPv4 address, or `[IPv6]`. Returns the host without brackets. */
function urlHost(text: string): string | undefined {
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    const addr = parseIpAddress(inner);
    return addr?.family === 6 ? formatIp(6, addr.value) : undefined;
  }
  const addr = parseIpAddress(text);
  if (addr) return addr.family === 4 ? formatIp(4, addr.value) : undefined;
  return HOSTNAME.test(text) ? text.toLowerCase() : undefined;
}

function parsePort(label: string, text: string, allowZero = false): Result<number> {
  if (!/^\d+$/.test(text)) return fail(`${label} port "${text}" is not a number`);
  const port = Number(text);
  const min = allowZero ? 0 : 1;
  if (port < min || port > 65535)
    return fail(`${label} port ${text} is out of range (${min}-65535)`);
  return ok(port);
}

/**
 * `ping://host`, `tcp://host:port`, `http(s)://host[:port][/path]`. IPNetSentryX handed other
 * schemes to Mac OS launch services; treewall has nothing equivalent and refuses them.
 */
export function parseUrl(
  label: string,
  text: string,
  schemes: readonly string[],
): Result<ParsedParameter> {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#\s]*)(?::(\d*))?([/?#]\S*)?$/i.exec(text);
  if (!m)
    return fail(`${label} "${text}" is not a URL (${schemes.map((s) => `${s}://`).join(', ')})`);
  const scheme = (m[1] ?? '').toLowerCase();
  if (!schemes.includes(scheme)) {
    return fail(
      `${label} scheme ${scheme}:// is not supported (${schemes.map((s) => `${s}://`).join(', ')})`,
    );
  }
  const host = urlHost(m[2] ?? '');
  if (host === undefined)
    return fail(`${label} host "${m[2] ?? ''}" is not a host name or address`);
  const out: ParsedParameter = {
    kind: 'url',
    scheme: scheme as 'ping' | 'tcp' | 'http' | 'https',
    host,
    url: text,
  };
  if (m[3] !== undefined) {
    if (scheme === 'ping') return fail(`${label} ping:// takes no port`);
    const port = parsePort(label, m[3]);
    if (!port.ok) return port;
    out.port = port.value;
  } else if (scheme === 'tcp') {
    return fail(`${label} tcp:// needs a port (tcp://host:port)`);
  }
  if (m[4] !== undefined && (scheme === 'ping' || scheme === 'tcp')) {
    return fail(`${label} ${scheme}:// takes no path`);
  }
  return ok(out);
}

function parseRoute(text: string): Result<ParsedParameter> {
  const label = 'Route to';
  const words = text.split(/\s+/).filter((w) => w !== '' && w !== 'dev' && w !== 'via');
  if (words.length === 0)
    return fail(`${label} needs a gateway address or an interface (e.g. 192.168.1.1 eth1)`);
  if (words.length > 2)
    return fail(`${label} "${text}" is not "address", "interface" or "address interface"`);
  const out: { kind: 'route'; family?: 4 | 6; address?: string; interface?: string } = {
    kind: 'route',
  };
  for (const w of words) {
    const addr = parseIpAddress(w);
    if (addr && out.address === undefined) {
      out.family = addr.family;
      out.address = formatIp(addr.family, addr.value);
    } else if (!addr && INTERFACE_NAME.test(w) && !w.includes('*') && out.interface === undefined) {
      out.interface = w;
    } else {
      return fail(`${label} "${w}" is not an address or interface name`);
    }
  }
  return ok(out);
}

function parseForward(text: string): Result<ParsedParameter> {
  const label = 'Port forward';
  if (text === '') return fail(`${label} needs a target (addr, addr:port, [v6addr]:port or :port)`);
  let addrText = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket) {
    addrText = bracket[1] ?? '';
    portText = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [addrText = '', portText] = text.split(':');
  }
  const out: { kind: 'forward'; family?: 4 | 6; address?: string; port?: number } = {
    kind: 'forward',
  };
  if (addrText !== '') {
    const addr = parseIpAddress(addrText);
    if (!addr) return fail(`${label} "${addrText}" is not an IPv4 or IPv6 address`);
    out.family = addr.family;
    out.address = formatIp(addr.family, addr.value);
  }
  if (portText !== undefined) {
    const port = parsePort(label, portText);
    if (!port.ok) return port;
    out.port = port.value;
  }
  if (out.address === undefined && out.port === undefined)
    return fail(`${label} "${text}" has no address or port`);
  return ok(out);
}

function parsePortRange(label: string, text: string): Result<NumericRange> {
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
  if (!m) return fail(`${label} "${text}" is not a port range (e.g. 1024-65535)`);
  const min = parsePort(label, m[1] ?? '');
  if (!min.ok) return min;
  const max = parsePort(label, m[2] ?? m[1] ?? '');
  if (!max.ok) return max;
  if (min.value > max.value) return fail(`${label} port range ${text} ends before it starts`);
  return ok({ min: min.value, max: max.value });
}

const EMAIL = /^[^\s@,<>]+@[^\s@,<>]+\.[^\s@,<>]+$/;

/** Split a command line on spaces; double quotes group words, `\\` escapes. No shell is involved. */
function splitCommand(text: string): string[] | undefined {
  const out: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + (text[++i] ?? '');
    } else if (ch === '"') {
      quoted = !quoted;
      word = word ?? '';
    } else if (/\s/.test(ch) && !quoted) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quoted) return undefined;
  if (word !== undefined) out.push(word);
  return out;
}

function parseText(label: string, text: string): Result<ParsedParameter> {
  if ([...text].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')) {
    return fail(`${label} text contains a control character (newline, tab, ...)`);
  }
  if (text.length > MAX_TEXT_PARAMETER) {
    return fail(`${label} text is ${text.length} characters long (at most ${MAX_TEXT_PARAMETER})`);
  }
  return ok({ kind: 'text', text });
}

/** Parse a rule's parameter by its action. Empty text is the action's default where it has one. */
export function parseParameter(action: ActionName, parameter: string): Result<ParsedParameter> {
  if (parameter.length > MAX_PARAMETER_LENGTH) {
    return fail(
      `${action} parameter is ${parameter.length} characters long (at most ${MAX_PARAMETER_LENGTH})`,
    );
  }
  const text = parameter.trim();
  switch (action) {
    case '->':
    case '++':
    case 'Group':
    case 'Exit group':
    case 'Pass':
    case 'Delete':
    case 'Delete no log':
    case 'Reject':
    case 'Drop connection':
    case 'Dont log':
      if (text !== '') return fail(`${action} takes no parameter (found "${text}")`);
      return ok({ kind: 'none' });
    case 'Reset parent':
      // IPNetSentryX documents put a description here ("restore when it comes back up").
      return text === '' ? ok({ kind: 'none' }) : ok({ kind: 'note', text });
    case 'Trigger':
    case 'Keep address':
    case 'Keep invalid':
    case 'Authorize':
      return parseTimeout(action, text);
    case 'Delay':
      return parseDelay(text);
    case 'Rate limit in':
    case 'Rate limit out': {
      if (text === '') return fail(`${action} needs a rate (e.g. 50/s, 1 mbit/s)`);
      const r = parseBitRate(action, text) ?? parseRateSpec(action, text);
      return r.ok ? ok({ kind: 'rate', rate: r.value }) : r;
    }
    case 'Route to':
      return parseRoute(text);
    case 'Masquerade': {
      if (text === '') return ok({ kind: 'none' });
      const r = parsePortRange(action, text);
      return r.ok ? ok({ kind: 'portRange', range: r.value }) : r;
    }
    case 'Port forward':
      return parseForward(text);
    case 'Log':
    case 'Alert':
    case 'Notify':
      return parseText(action, text);
    case 'Email': {
      // Without an @ it is a description (IPNetSentryX: "NetTalk server not responding"); the
      // mail goes to the address in the preferences.
      if (text !== '' && !text.includes('@')) return ok({ kind: 'note', text });
      const addresses = text.split(/[,;\s]+/).filter((a) => a !== '');
      const bad = addresses.find((a) => !EMAIL.test(a));
      if (bad !== undefined) return fail(`Email "${bad}" is not an e-mail address`);
      return ok({ kind: 'email', addresses });
    }
    case 'URL':
      if (text === '') return fail('URL needs a URL (ping://host, tcp://host:port, http://...)');
      if (!text.includes('://')) return ok({ kind: 'note', text });
      return parseUrl(action, text, ['ping', 'tcp', 'http', 'https']);
    case 'Webhook':
      if (text === '') return fail('Webhook needs an http:// or https:// URL');
      return parseUrl(action, text, ['http', 'https']);
    case 'Script': {
      const argv = splitCommand(text);
      if (argv === undefined) return fail(`Script "${text}" has an unbalanced quote`);
      const [path, ...args] = argv;
      if (path === undefined)
        return fail('Script needs a command (an absolute path and arguments)');
      // IPNetSentryX: a file name in the folder of the preferences' script; here a file in the
      // helper's scripts folder (a name relative to it, or an absolute path inside it).
      if (!path.startsWith('/') && path.split('/').includes('..'))
        return fail(`Script "${path}" leaves the scripts folder (..)`);
      return ok({ kind: 'command', path, args });
    }
  }
}

/**
 * The duration a Trigger, Keep address, Authorize or Delay parameter stands for, with the
 * defaults applied: the document's default trigger duration (0 = unlimited) for the tables,
 * DEFAULT_DELAY_SECONDS for Delay. Undefined for parameters that are not durations.
 */
export function effectiveDuration(
  parsed: ParsedParameter,
  action: ActionName,
  defaultTriggerDuration: number,
): number | 'unlimited' | undefined {
  if (parsed.kind === 'duration') return parsed.seconds;
  // A note (free text) stands where the default would: the default applies.
  if (parsed.kind !== 'default' && parsed.kind !== 'note') return undefined;
  if (action === 'Delay') return DEFAULT_DELAY_SECONDS;
  if (!['Trigger', 'Keep address', 'Keep invalid', 'Authorize'].includes(action)) return undefined;
  return defaultTriggerDuration > 0 ? defaultTriggerDuration : 'unlimited';
}
