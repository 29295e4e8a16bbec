// Runtime: pure (shared/). The browser host's wire format: JSON, with the two property-list
// values JSON cannot carry (Uint8Array data, Date) tagged so documents with unknown keys survive
// the WebSocket unchanged. Electron's structured clone needs none of this.
// Invariant: decodeWire(encodeWire(x)) deep-equals x for every PlistValue and every message.

// Tags start with NUL so no key a person typed into a property list collides with them.
const BYTES = '\u0000bytes';
const DATE = '\u0000date';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '=';
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of clean) {
    const v = BASE64.indexOf(ch);
    if (v < 0) throw new Error(`wire: bad base64 character '${ch}'`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (acc >> bits) & 0xff;
    }
  }
  return bytes.subarray(0, j);
}

function isTagged(value: object, tag: string): value is Record<string, string> {
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === tag &&
    typeof (value as Record<string, unknown>)[tag] === 'string'
  );
}

/** True when `value` holds a Date or a Uint8Array anywhere (iterative: documents nest deeply),
 * not looking inside `plain`. */
function holdsTaggable(value: unknown, plain: ReadonlySet<object>): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || plain.has(v)) continue;
    if (v instanceof Date || v instanceof Uint8Array) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    } else {
      for (const key in v) {
        const item: unknown = (v as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    }
  }
  return false;
}

const NOTHING_PLAIN: ReadonlySet<object> = new Set();

/** `plain`: parts of `message` the caller knows hold only JSON values (no Date, no Uint8Array),
 * which the check for values to tag then skips. */
export function encodeWire(message: unknown, plain: ReadonlySet<object> = NOTHING_PLAIN): string {
  // A replacer function costs a call per value (millions in a large document); a walk that finds
  // nothing to tag is several times cheaper, so most messages are plain JSON.stringify.
  if (!holdsTaggable(message, plain)) return JSON.stringify(message);
  return JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    // `this[key]` is the value before Date.prototype.toJSON ran.
    const raw = this[key];
    if (raw instanceof Date) return { [DATE]: raw.toISOString() };
    if (raw instanceof Uint8Array) return { [BYTES]: toBase64(raw) };
    return value;
  });
}

export function decodeWire(text: string): unknown {
  // The reviver triples the cost of parsing a large document; tags are NUL-prefixed keys, which
  // JSON spells `\u0000`, so text without that sequence has none to revive.
  if (!text.includes('\\u0000')) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (isTagged(value, DATE)) return new Date(value[DATE]!);
      if (isTagged(value, BYTES)) return fromBase64(value[BYTES]!);
    }
    return value;
  });
}

/* Messages on the socket. */

export interface WireCall {
  id: number;
  channel: string;
  request: unknown;
}

export interface WireReply {
  id: number;
  result: unknown;
}

export interface WireEvent {
  event: string;
  payload: unknown;
}
