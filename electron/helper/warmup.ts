// Runtime: plain Node, as root. Warming V8 up right after the helper starts listening: what an
// apply runs around its `nft -j -f` (the request's decode and edge check, compile, the program's
// JSON text, validation, the state record's JSON) is run on a built-in document a few times, so the
// first applies a user makes do not pay for V8 interpreting and optimising that code. Measured at
// 1,000 rules: the helper's CPU for one of the first three applies after a start was 60-140 ms
// against ~20 ms once warm, most of it in validation and compile (cold code, its optimisation on
// V8's background threads).
// Invariant: pure CPU work on a document of its own, nothing written, nothing sent to the kernel;
// it runs in short passes and only while no request is being answered (a request arriving waits
// for at most the pass in progress), and a few passes in all.

import { compile } from '../../shared/compiler/index.ts';
import {
  decodeHelperMessage,
  encodeHelperMessage,
  parseHelperRequest,
} from '../../shared/ipc/helper-protocol.ts';
import { DEFAULT_SETTINGS, type FirewallDocument, type Rule } from '../../shared/model/types.ts';
import { createRule, countRules } from '../../shared/model/tree.ts';
import { validateDocument } from '../../shared/model/validate.ts';
import { createParseCache } from '../../shared/model/values.ts';
import type { ActionName, PropertyName, RelationName } from '../../shared/model/vocabulary.ts';

/** Passes of the warm-up, and rules in its document (one pass ~5-15 ms of CPU once warm). */
export const WARMUP_PASSES = 8;
export const WARMUP_RULES = 600;

let nextId = 0;
const rule = (
  property: PropertyName,
  relation: RelationName,
  value: string,
  action: ActionName,
  children: Rule[] = [],
): Rule =>
  createRule({
    id: `warmup-${(nextId++).toString(36)}`,
    property,
    relation,
    value,
    action,
    children,
    expanded: false,
  });

/**
 * A document of about `size` rules using the tests most rule sets are made of: fragments,
 * addresses (single, prefix, range), ports and port ranges, protocols, interfaces, TCP flags,
 * ICMP types, the triggered table, with the common actions (groups, Exit group, Pass, Delete,
 * Reject, Log, Trigger). Values derive from positions, so every pass sees the same document.
 */
export function warmupDocument(size = WARMUP_RULES): FirewallDocument {
  const fixed: Rule[] = [
    rule('Fragment offset', '==', '1-63', 'Delete'),
    rule('Source net', '==', '127.0.0.0/8', '->', [
      rule('Interface', '==', 'lo', 'Pass'),
      rule('Any', '==', '', 'Delete'),
    ]),
    rule('IP options', '==', '3,9', 'Delete'),
    rule('Direction', '==', 'inbound', '->', [
      rule('Include', '==', 'triggered', 'Delete'),
      rule('Protocol', '==', '6 (TCP)', '->', [
        rule('Dest port', '==', '23', 'Trigger', [rule('Any', '==', '', 'Alert')]),
        rule('Dest port', '==', '113', 'Reject'),
      ]),
      rule('TCP header flags', '==', 'syn,-ack', 'Group', [
        rule('Dest port', '==', '22', 'Exit group'),
        rule('Dest port', '==', '8000-8080', 'Exit group'),
        rule('Any', '==', '', 'Delete'),
      ]),
    ]),
    rule('Protocol', '==', '1 (ICMP)', '->', [
      rule('ICMP type', '==', '8', 'Log'),
      rule('ICMP type', '==', '5', 'Delete'),
    ]),
  ];
  const rules: Rule[] = [...fixed];
  let count = countRules(fixed);
  // Then lists: networks to delete, and per-network service groups.
  const nets: Rule[] = [];
  rules.push(rule('Direction', '==', 'inbound', '->', nets));
  count += 1;
  for (let k = 0; count < size; k++) {
    if (k % 3 === 0) {
      nets.push(rule('Source net', '==', `198.18.${k & 255}.0/24`, 'Delete no log'));
      count += 1;
    } else if (k % 3 === 1) {
      nets.push(rule('Source net', '!=', `192.0.2.${k & 255}-192.0.2.255`, 'Log'));
      count += 1;
    } else {
      const ports = [22, 80, 443, 9000 + (k % 1000)].map((p) =>
        rule('Dest port', '==', String(p), 'Exit group'),
      );
      nets.push(
        rule('Dest net', '==', `10.${k & 255}.${(k >> 8) & 255}.0/24`, 'Group', [
          rule('Protocol', '==', '6 (TCP)', '->', ports),
          rule('Any', '==', '', 'Delete'),
        ]),
      );
      count += 3 + ports.length;
    }
  }
  return { rules, settings: { ...DEFAULT_SETTINGS, defaultPolicy: 'pass' } };
}

/**
 * One pass of what an apply computes before nft starts: decode the request line, check it at the
 * edge, validate, compile (sharing the parsed values, writing the program's JSON text) and the
 * state record's JSON text. Throws if the document does not go through (a test holds it to that).
 */
export function warmUpOnce(line: string, options: { logGroup: number; tableName: string }): void {
  const parsed = parseHelperRequest(decodeHelperMessage(line));
  if (!parsed.ok || parsed.request.call !== 'apply')
    throw new Error(`warm-up request refused: ${JSON.stringify(parsed)}`);
  const document = parsed.request.params.document;
  // In the apply's order: compile, then validation (while nft parses the program).
  const parseCache = createParseCache();
  const compiled = compile(document, { ...options, parseCache, keepElements: {} });
  if (!compiled.ok) throw new Error(`warm-up document refused: ${compiled.problems[0]?.message}`);
  const problems = validateDocument(document, parseCache);
  if (problems.length > 0) throw new Error(`warm-up document invalid: ${problems[0]?.message}`);
  // (The program's JSON text is written by compile itself: compiled.nft.json.) The state record
  // is encoded as the state folder encodes it.
  encodeHelperMessage({ document, appliedAt: '', fingerprint: '', counterBase: {} });
}

/** The request line an apply of `document` arrives as. */
export const applyLine = (document: FirewallDocument): string =>
  JSON.stringify({ id: 0, call: 'apply', params: { document } });

/**
 * Run the warm-up in the background: `passes` passes, each in its own turn of the event loop and
 * only while `idle()` says no request is being answered (else it looks again a little later).
 * Returns a stop function (the helper closing).
 */
export function startWarmUp(options: {
  idle: () => boolean;
  logGroup: number;
  tableName: string;
  passes?: number;
  /** One pass (tests); default: `warmUpOnce` on `warmupDocument()`. */
  pass?: () => void;
}): () => void {
  let left = options.passes ?? WARMUP_PASSES;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let line: string | undefined;
  const next = (): void => {
    timer = undefined;
    immediate = undefined;
    if (left <= 0) return;
    if (!options.idle()) {
      timer = setTimeout(next, 50);
      return;
    }
    left--;
    try {
      if (options.pass) options.pass();
      else {
        line ??= applyLine(warmupDocument());
        warmUpOnce(line, { logGroup: options.logGroup, tableName: options.tableName });
      }
    } catch {
      // Only ever a slower first apply: never a reason to stop the helper.
      left = 0;
      return;
    }
    immediate = setImmediate(next);
  };
  immediate = setImmediate(next);
  return () => {
    left = 0;
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}
