// Runtime: pure (shared/). Delay: an arriving packet a Delay rule matches is held in userspace and
// released later, through NFQUEUE (docs/vocabulary.md, "Delay"). The walk's verdict is
// `goto delay<i>`; chain `delay<i>` jumps to the placeholder `dq<i>` and then carries the rule's
// fallback verdict. `dq<i>` is empty in the transaction: after the load the helper's queue worker
// (electron/helper/nft-queue.py) writes one rule into it that queues the packet to queue
// DELAY_QUEUE_BASE + i, holds it for the delay and gives it NF_ACCEPT (the packet then leaves this
// base chain accepted, as after `accept`: it is never walked again by the same hook). While the
// placeholder is empty (before the worker filled it) the fallback decides at once; once filled and
// the worker is gone, the queue rule's bypass flag does: both say the same (open: pass, closed:
// delete).
// Invariant: one queue per distinct (delay, fail mode); queue numbers stay inside treewall's range.

import type { ParsedParameter } from '../model/values.ts';
import { DEFAULT_DELAY_SECONDS } from '../model/parameters.ts';

/** treewall's NFQUEUE numbers: DELAY_QUEUE_BASE .. DELAY_QUEUE_BASE + MAX_DELAY_QUEUES - 1. */
export const DELAY_QUEUE_BASE = 27200;
/** Distinct (delay, fail mode) pairs one document may use. */
export const MAX_DELAY_QUEUES = 16;

/** One queue the helper's worker binds and the placeholder chain it fills. */
export interface DelayQueue {
  /** NFQUEUE number (DELAY_QUEUE_BASE + index). */
  queue: number;
  /** How long each packet is held, in milliseconds. */
  ms: number;
  /**
   * Fail open (the default): with the worker gone the packet passes at once (NFQUEUE bypass);
   * false (`closed`): it is deleted.
   */
  failOpen: boolean;
  /** The placeholder chain the worker fills with the queue rule (`dq<i>`). */
  chain: string;
  /** The chain the walk's Delay verdict goes to (`delay<i>`): `jump dq<i>`, then the fallback. */
  verdictChain: string;
  /** The rules that delay through this queue, by id. */
  ruleIds: string[];
}

/** The hold time (ms) and fail mode of a Delay rule's parsed parameter. */
export function delayOf(param: ParsedParameter): { ms: number; failOpen: boolean } {
  const seconds =
    param.kind === 'duration' && typeof param.seconds === 'number'
      ? param.seconds
      : DEFAULT_DELAY_SECONDS;
  const failOpen = !(param.kind === 'duration' && param.failClosed === true);
  return { ms: Math.round(seconds * 1000), failOpen };
}
