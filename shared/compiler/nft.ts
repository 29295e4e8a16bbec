// Runtime: pure (shared/). The libnftables JSON vocabulary the compiler emits (schema version 1,
// as nft 1.0.6 reads it), and small builders so the rest of the compiler reads like nft rules.
// Invariant: only builders from this file produce statements, so the text renderer
// (render-text.ts) knows every shape it can meet.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One statement of a rule (`{"match": ...}`, `{"counter": "c_x"}`, `{"accept": null}`, ...). */
export type Stmt = { [key: string]: Json };
/** An expression (left or right side of a match, a set element, ...). */
export type Expr = Json;

/** One nft command in the top-level `nftables` array. */
export type Command = { [key: string]: Json };

export interface NftDocument {
  nftables: Command[];
}

export const meta = (key: string): Expr => ({ meta: { key } });
export const payload = (protocol: string, field: string): Expr => ({
  payload: { protocol, field },
});
export const ct = (key: string): Expr => ({ ct: { key } });
export const and = (left: Expr, mask: Expr): Expr => ({ '&': [left, mask] });
export const or = (left: Expr, bits: Expr): Expr => ({ '|': [left, bits] });
export const range = (lo: Expr, hi: Expr): Expr => ({ range: [lo, hi] });
export const prefix = (addr: string, len: number): Expr => ({ prefix: { addr, len } });
export const anonSet = (items: Expr[]): Expr => ({ set: items });

export type MatchOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in';

export const match = (op: MatchOp, left: Expr, right: Expr): Stmt => ({
  match: { op, left, right },
});

export const counterRef = (name: string): Stmt => ({ counter: name });
export const accept: Stmt = { accept: null };
export const drop: Stmt = { drop: null };
export const ret: Stmt = { return: null };
export const jump = (target: string): Stmt => ({ jump: { target } });
export const goto = (target: string): Stmt => ({ goto: { target } });
export const log = (prefixText: string, group: number): Stmt => ({
  log: { prefix: prefixText, group },
});
export const rejectTcpReset: Stmt = { reject: { type: 'tcp reset' } };
export const rejectIcmpxPortUnreachable: Stmt = {
  reject: { type: 'icmpx', expr: 'port-unreachable' },
};
export const setMark = (value: Expr): Stmt => ({ mangle: { key: meta('mark'), value } });
export const masquerade: Stmt = { masquerade: null };

/** `update @set { key [timeout N] }`: add or refresh a dynamic-set element from the packet. */
export const setUpdate = (set: string, key: Expr, timeoutSeconds?: number): Stmt => ({
  set: {
    op: 'update',
    elem: timeoutSeconds ? { elem: { val: key, timeout: timeoutSeconds } } : key,
    set: `@${set}`,
  },
});

/** True for statements after which the kernel never reaches the next rule of the chain. */
export const isFinalVerdict = (s: Stmt): boolean =>
  'accept' in s || 'drop' in s || 'reject' in s || 'return' in s || 'goto' in s;
