// Runtime: pure (shared/). Kernel names derived from rule ids, never from user text (DESIGN §4).
// Invariant: every key is unique within one compile, matches /^[A-Za-z0-9_-]{1,40}$/, and the same
// id always gets the same key when the document's ids are the same.

/** `/^[A-Za-z0-9_-]{1,40}$/`, as a loop: asked once per rule (a regex run cost more). */
function safeId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 40) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    // 0-9, A-Z, a-z, `_`, `-`
    if (!(
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 45
    ))
      return false;
  }
  return true;
}

/** FNV-1a, 32 bits: a stable short fingerprint for ids that cannot be used verbatim. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Assigns kernel keys to rule ids in the order they are first asked for (the compiler asks in
 * outline order, so the assignment is deterministic). Ids made of letters, digits, `_` and `-`
 * (up to 40 characters) are used as they are; anything else — quotes, spaces, newlines, very long
 * ids — becomes `h` + a hash, so no user-controlled byte ever reaches a kernel name.
 */
export class KeyAllocator {
  /**
   * Every key given out, in order, while all were verbatim ids: a list, not a set or map (each
   * key is its own id then, unique when the ids are; a 100,000-rule compile spent ~10% of its time
   * hashing ids into such tables). From the first hashed id on, `byId` and `used` take over.
   */
  private readonly given: string[] = [];
  private byId: Map<string, string> | undefined;
  private used: Set<string> | undefined;

  key(id: string): string {
    if (this.byId === undefined) {
      if (safeId(id)) {
        this.given.push(id);
        return id;
      }
      this.byId = new Map(this.given.map((k) => [k, k]));
      this.used = new Set(this.given);
    }
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const used = this.used as Set<string>;
    let base = safeId(id) ? id : `h${fnv1a(id)}`;
    // A hashed key could equal a verbatim id elsewhere in the document: suffix until unique.
    if (used.has(base)) {
      let n = 2;
      while (used.has(`${base}_${n}`)) n++;
      base = `${base}_${n}`;
    }
    this.byId.set(id, base);
    used.add(base);
    return base;
  }
}

/** Truncate to at most `maxBytes` of UTF-8 without splitting a character (nft comment limit). */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Fast path: at most 3 bytes per UTF-16 unit (a 4-byte character is 2 units).
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += ch;
  }
  return out;
}
