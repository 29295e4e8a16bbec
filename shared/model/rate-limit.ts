// Which Rate limit rules shape and which police (issue 13 C; the compiler, the evaluator, the
// table walk and documentProblems all ask this one predicate).
// `Rate limit out` with a byte rate for all sources together (IPNetSentryX's bits/s with K/M,
// `kbytes/s`, `mbit/s`) shapes: the packet waits in an HTB class on the interface it leaves by, as
// the original paced TCP instead of dropping; it is never a verdict. A packet rate (`50/s`), a
// `per source` rate and every `Rate limit in` police: packets over the rate are deleted.

import type { ParsedParameter } from './values.ts';
import type { ActionName } from './vocabulary.ts';

export function rateLimitShapes(action: ActionName, param: ParsedParameter): boolean {
  return (
    action === 'Rate limit out' &&
    param.kind === 'rate' &&
    param.rate.unit === 'bytes' &&
    !param.rate.perSource
  );
}
