// Runtime: pure (shared/). Durations (`10 min`, `1 day`, `30s`) and rates (`50/s`, `1 mbit/s`,
// `100/minute per source`): read by values (Idle seconds, Rate) and parameters (Trigger, Rate limit).
// Invariant: returns an error string, never throws.
// NOTE: byte units follow nft (`kbytes` = 1024 bytes, `mbytes` = 1024^2); bit units follow tc
// and network practice (`kbit` = 1000 bits, `mbit` = 10^6 bits) and are converted to bytes.

import type { RateSpec, Result } from './values.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

const SECONDS_PER: Readonly<Record<string, number>> = {
  ms: 0.001,
  msec: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};

export const DURATION_EXAMPLES =
  '1 min, 10 min, 1 h, 10 h, 1 day, 10 days, unlimited, 90, 30s, 5m, 2h, 1d';

/**
 * A duration in seconds: plain seconds (`90`, `0.5`) or a number with a unit (`30s`, `10 min`,
 * `1 day`). `unlimited` is not handled here (only some actions allow it).
 */
export function parseDurationSeconds(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!m) return undefined;
  const amount = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : SECONDS_PER[unit];
  if (factor === undefined || !Number.isFinite(amount)) return undefined;
  // Round away float noise (0.1 h) to the millisecond.
  return Math.round(amount * factor * 1000) / 1000;
}

const PACKET_UNITS = new Set(['', 'p', 'pkt', 'pkts', 'packet', 'packets']);
const BYTES_PER: Readonly<Record<string, number>> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1024,
  kbyte: 1024,
  kbytes: 1024,
  mb: 1024 ** 2,
  mbyte: 1024 ** 2,
  mbytes: 1024 ** 2,
  gb: 1024 ** 3,
  gbyte: 1024 ** 3,
  gbytes: 1024 ** 3,
  bit: 1 / 8,
  bits: 1 / 8,
  kbit: 1000 / 8,
  kbits: 1000 / 8,
  mbit: 1e6 / 8,
  mbits: 1e6 / 8,
  gbit: 1e9 / 8,
  gbits: 1e9 / 8,
};

export const RATE_EXAMPLES = '50/s, 100/minute per source, 1 mbit/s, 64 kbytes/s';

/**
 * IPNetSentryX's Rate limit parameter: bits per second, a plain number with an optional `K` or
 * `M` (`100K` = 100,000 bit/s; kftSupport.c `intValueWithFraction`). Undefined when the text is
 * not of that form (then parseRateSpec reads it).
 */
export function parseBitRate(label: string, raw: string): Result<RateSpec> | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([km])?$/i.exec(raw.trim());
  if (!m) return undefined;
  const bits = Number(m[1]) * (m[2] === undefined ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6);
  if (bits <= 0) return fail(`${label} amount must be more than 0`);
  return ok({ amount: bits / 8, unit: 'bytes', perSeconds: 1, perSource: false });
}

/**
 * `amount [unit] / [n] period [per source]`. With `bareIsPerSecond`, a plain number (`50`) means
 * that many packets per second (IPNetSentryX's Parent match rate is a plain number), and `10K` /
 * `2M` thousands / millions per second.
 */
export function parseRateSpec(
  label: string,
  raw: string,
  bareIsPerSecond = false,
): Result<RateSpec> {
  let text = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  let perSource = false;
  const source = / ?(per|by) ?(source|src|host|address)$/.exec(text);
  if (source) {
    perSource = true;
    text = text.slice(0, source.index).trim();
  }
  if (bareIsPerSecond && /^\d+(\.\d+)?$/.test(text)) text += '/s';
  // `10K`, `2M`: thousands and millions per second, as IPNetSentryX reads a plain rate.
  const thousands = bareIsPerSecond ? /^(\d+(?:\.\d+)?) ?([km])$/.exec(text) : null;
  if (thousands) {
    const amount = Number(thousands[1]) * (thousands[2] === 'k' ? 1e3 : 1e6);
    return ok({ amount, unit: 'packets', perSeconds: 1, perSource });
  }
  const m = /^(\d+(?:\.\d+)?) ?([a-z]*) ?\/ ?(\d+(?:\.\d+)?)? ?([a-z]+)$/.exec(text);
  if (!m) return fail(`${label} "${raw.trim()}" is not a rate (e.g. ${RATE_EXAMPLES})`);
  const amount = Number(m[1]);
  const unitText = m[2] ?? '';
  const periodCount = m[3] === undefined ? 1 : Number(m[3]);
  const periodUnit = SECONDS_PER[m[4] ?? ''];
  if (periodUnit === undefined || periodUnit < 1) {
    return fail(`${label} period "${m[4] ?? ''}" is not one of s, minute, hour, day`);
  }
  const perSeconds = periodCount * periodUnit;
  if (perSeconds <= 0) return fail(`${label} period must be longer than 0 seconds`);
  if (amount <= 0) return fail(`${label} amount must be more than 0`);
  if (PACKET_UNITS.has(unitText)) {
    return ok({ amount, unit: 'packets', perSeconds, perSource });
  }
  const bytes = BYTES_PER[unitText];
  if (bytes === undefined) {
    return fail(`${label} unit "${unitText}" is not packets, bytes, kbytes, mbytes, kbit or mbit`);
  }
  return ok({ amount: amount * bytes, unit: 'bytes', perSeconds, perSource });
}
