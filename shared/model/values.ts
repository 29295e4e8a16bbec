// Runtime: pure (shared/). Parsed rule values: what a rule's `value` text means once its
// property's value kind has read it. The compiler and the evaluator switch on these, so the text
// is parsed in exactly one place. Comments in parentheses that IPNetSentryX puts after values
// (`23 (Telnet)`, `6 (TCP)`, `Loopback (lo0)`) are not part of the value.
//
// NOTE: the types here are the contract between model, compiler and evaluator. Extend them by
// adding variants; do not rename fields others read.

import type { PropertyName } from './vocabulary.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** An inclusive numeric interval; a single number has min === max. */
export interface NumericRange {
  min: number;
  max: number;
}

/** An address, prefix or range of one family; first/last bound it for the evaluator. */
export interface AddressMatch {
  family: 4 | 6;
  kind: 'single' | 'prefix' | 'range';
  /** Canonical text of the first address (`10.0.0.0`, `2001:db8::`). */
  address: string;
  /** Prefix length for kind 'prefix'. */
  prefixLength?: number;
  /** Canonical text of the last address for kind 'range'. */
  end?: string;
  first: bigint;
  last: bigint;
}

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ecn' | 'cwr';

export type ConnectionState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

export type IncludeTable = 'triggered' | 'authorized' | 'address' | 'kept';

export interface RateSpec {
  /** Allowed amount per `perSeconds`. */
  amount: number;
  unit: 'packets' | 'bytes';
  perSeconds: number;
  /** Count per source address (a meter) instead of for the whole rule. */
  perSource: boolean;
}

export type ParsedValue =
  | { kind: 'none' } // Any, None, and the timer properties' absent values
  | { kind: 'direction'; direction: 'inbound' | 'outbound' }
  | { kind: 'interface'; name: string } // `eth0`, `wg*` wildcards allowed
  | { kind: 'interfaceAttribute'; attribute: 'external' | 'internal' }
  | { kind: 'include'; table: IncludeTable }
  | { kind: 'mac'; mac: string } // lower-case aa:bb:cc:dd:ee:ff
  | { kind: 'address'; match: AddressMatch }
  | { kind: 'protocol'; number: number; name?: string }
  | { kind: 'range'; range: NumericRange } // ports, fragment offset, ICMP type/code, length, TTL, DSCP, uid/gid, seconds, counts
  | { kind: 'ipOptions'; options: number[] }
  | { kind: 'tcpFlags'; on: TcpFlag[]; off: TcpFlag[] }
  | { kind: 'tcpOptions'; options: number[] }
  | { kind: 'content'; bytes: Uint8Array; text: string }
  | { kind: 'timeOfDay'; fromMinute: number; toMinute: number } // minutes since local midnight, inclusive
  | { kind: 'dayOfWeek'; days: number[] } // 0 = Sunday
  | { kind: 'dateTime'; epochSeconds: number; text: string }
  | { kind: 'connectionState'; states: ConnectionState[] }
  | { kind: 'ipVersion'; version: 4 | 6 }
  | { kind: 'rate'; rate: RateSpec };

/** Which ParsedValue kinds a property's value may produce (documentation for the UI). */
export type ValueKind = ParsedValue['kind'];

export type { PropertyName };
