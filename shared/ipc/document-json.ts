// Runtime: pure (shared/). A document's wire JSON (`wire.ts`: what `decodeWire` reads back as
// the same document), built incrementally: the text of every rule is kept per rule object, and
// the model's tree ops replace only the rules on an edited path (structural sharing), so after an
// edit only that path is written again; every other rule's text is reused. The renderer uses it
// for the crash-recovery autosave and the problem check's worker, which both need the whole
// document off the main thread: at 100,000 rules a structured clone of the document costs
// 0.3-0.8 s of main thread and `JSON.stringify` 0.1-0.25 s; an edit re-encodes in a few ms.
// Invariant: decodeWire(encoder.encode(doc)) deep-equals doc (key order aside), for every
// document, whatever was encoded before; a budget that runs out returns null with the work done
// so far kept, so a caller can spread a first encoding over several tasks.

import type { FirewallDocument, Rule } from '../model/types.ts';
import { encodeWire } from './wire.ts';

/** How many rules are written between two looks at the budget. */
const CHECK_EVERY = 256;

export class DocumentJsonEncoder {
  /**
   * The text of each rule already written (its subtree included). A Map, not a WeakMap: V8's
   * garbage collector handles a WeakMap of 100,000 entries as ephemerons, which made every major
   * collection of the page slow; rules of old documents are dropped by `prune` instead.
   */
  private rules = new Map<Rule, string>();

  /** The text of `rule`, its children's texts given: a leaf is one native JSON.stringify (a flat
   * string; encodeWire when its unknown keys hold dates or data), a group its children's texts
   * between the rest of its fields. */
  private static ruleText(rule: Rule, children: string): string {
    if (rule.children.length === 0) return encodeWire(rule);
    const rest = encodeWire({ ...rule, children: undefined });
    return '{"children":[' + children + '],' + rest.slice(1);
  }

  /** Keeps only the texts of `document`'s rules, once the map holds many more than after the
   * last pruning (rules of old documents and of replaced paths). */
  private prune(document: FirewallDocument): void {
    if (this.baseline === 0) this.baseline = this.rules.size;
    if (this.rules.size < 2 * this.baseline + 10_000) return;
    const kept = new Map<Rule, string>();
    const stack: Rule[] = [...document.rules];
    while (stack.length > 0) {
      const rule = stack.pop()!;
      const text = this.rules.get(rule);
      if (text !== undefined) kept.set(rule, text);
      for (const child of rule.children) stack.push(child);
    }
    this.rules = kept;
    this.baseline = kept.size;
  }

  /** The map's size after the last pruning (or the first complete document). */
  private baseline = 0;

  /**
   * Writes every rule of `rules` not written yet (post-order, with an explicit stack: documents
   * nest deeply). False when `outOfTime()` said so first (checked every few hundred rules).
   */
  private writeRules(rules: readonly Rule[], outOfTime: () => boolean): boolean {
    const stack: { rule: Rule; next: number }[] = [];
    let written = 0;
    for (const top of rules) {
      if (this.rules.has(top)) continue;
      stack.push({ rule: top, next: 0 });
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        const children = frame.rule.children;
        while (frame.next < children.length && this.rules.has(children[frame.next]!)) {
          frame.next++;
        }
        if (frame.next < children.length) {
          stack.push({ rule: children[frame.next]!, next: 0 });
          continue;
        }
        stack.pop();
        let inner = '';
        for (let i = 0; i < children.length; i++) {
          inner =
            i === 0 ? this.rules.get(children[i]!)! : inner + ',' + this.rules.get(children[i]!)!;
        }
        this.rules.set(frame.rule, DocumentJsonEncoder.ruleText(frame.rule, inner));
        if (++written % CHECK_EVERY === 0 && outOfTime()) return false;
      }
    }
    return true;
  }

  /** The text of one rule (its subtree included). */
  rule(rule: Rule): string {
    this.writeRules([rule], () => false);
    return this.rules.get(rule)!;
  }

  /**
   * The wire JSON of `document`, or null when `outOfTime` said so before it was done (call again,
   * with this or a newer document: what was written is kept).
   */
  encode(document: FirewallDocument, outOfTime: () => boolean = () => false): string | null {
    if (!this.writeRules(document.rules, outOfTime)) return null;
    this.prune(document);
    let rules = '';
    for (let i = 0; i < document.rules.length; i++) {
      rules += (i === 0 ? '' : ',') + this.rules.get(document.rules[i]!)!;
    }
    return (
      `{"rules":[${rules}],"settings":${encodeWire(document.settings)}` +
      (document.extra !== undefined ? `,"extra":${encodeWire(document.extra)}` : '') +
      '}'
    );
  }
}
