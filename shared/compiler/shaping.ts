// Rate limit out as traffic shaping (issue 13 C). IPNetSentryX paced a rate-limited TCP
// connection by its window and never dropped (kft.c KFT_filterAction: the rule only tags the
// connection; the rule's byte count per interval steers the pacing). Linux shapes on the way out
// with a qdisc: the rule sets the packet's priority (`meta priority set 7477:N`) and the helper
// gives every interface it shapes an HTB root qdisc `7477:` with one class `7477:N` per rule
// (HTB classifies a packet whose priority is one of its class ids into that class directly, no
// filter needed). Packets over the rate wait in the class's queue; TCP slows to the rate.
// Which Rate limit rules shape: `Rate limit out` with a byte rate (IPNetSentryX's bits/s with
// K/M, or `kbytes/s`, `mbit/s`...) for all sources together. A packet rate (`50/s`), a `per
// source` rate and every `Rate limit in` police instead (`limit rate over ... drop`, conditions.ts
// rateLines): packets over the rate are deleted, a verdict (ingress runs before netfilter, so an
// nft decision cannot pick an ingress class; see docs/vocabulary.md).
// Pure: no I/O. The helper (electron/helper/shaping.ts) owns the qdiscs.

import { rateLimitShapes } from '../model/rate-limit.ts';
import type { ParsedParameter } from '../model/values.ts';
import type { ActionName } from '../model/vocabulary.ts';
import { meta, type Stmt } from './nft.ts';

/** The HTB handle treewall's root qdiscs carry (and the major of every class id it sets). */
export const SHAPING_MAJOR = 0x7477;
/** Class minors 1..MAX_SHAPED (0xffff is the largest tc allows; far more than a document needs). */
export const MAX_SHAPED = 0xfff0;

/** One shaped rule: its HTB class and rate. */
export interface ShapedClass {
  ruleId: string;
  number: string;
  /** Class minor: the class id is `7477:<minor hex>`. */
  minor: number;
  bitsPerSecond: number;
}

export const classId = (minor: number): string =>
  `${SHAPING_MAJOR.toString(16)}:${minor.toString(16)}`;

/** Does this rule shape (rather than police)? */
export const shapes = rateLimitShapes;

/** The shaped rules of one compile, in outline order; `statements` gives each its priority. */
export class Shaping {
  readonly classes: ShapedClass[] = [];
  private readonly byId = new Map<string, ShapedClass>();

  /**
   * The match-time statements of a shaped rule in direction `variant` (outbound only: the
   * priority is read by the qdisc of the interface the packet leaves by). Empty for the rest.
   * `full`: a message when the document has more shaped rules than classes.
   */
  statements(
    rule: { id: string; action: ActionName },
    number: string,
    param: ParsedParameter,
    variant: 'in' | 'out',
  ): Stmt[] | string {
    if (variant !== 'out' || !shapes(rule.action, param) || param.kind !== 'rate') return [];
    let c = this.byId.get(rule.id);
    if (!c) {
      if (this.classes.length >= MAX_SHAPED)
        return `${rule.action}: more than ${MAX_SHAPED} shaped rules`;
      const bitsPerSecond = Math.round((param.rate.amount * 8) / param.rate.perSeconds);
      c = { ruleId: rule.id, number, minor: this.classes.length + 1, bitsPerSecond };
      if (bitsPerSecond < 8)
        return `${rule.action}: ${bitsPerSecond} bit/s is too slow to shape (at least 8 bit/s)`;
      this.classes.push(c);
      this.byId.set(rule.id, c);
    }
    return [{ mangle: { key: meta('priority'), value: classId(c.minor) } }];
  }
}
