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

/**
 * A compiled program, in one form for every consumer. `json` is the libnftables JSON text `nft -j
 * -f` reads, written by the compiler as it goes (a 100,000-rule program is 13 MB of it: built as
 * objects and serialised afterwards, those objects were most of the compile's garbage-collector
 * work). `nftables` is the same parsed, on first read (tests, the text rendering, `treewall compile
 * --json`); `JSON.stringify(program)` gives `json` again, byte for byte.
 */
export interface NftProgram extends NftDocument {
  /** The JSON text (not enumerable: a program serialises and compares as its commands). */
  readonly json: string;
  /** The `add chain` bodies of its base chains (those with a hook), in order (not enumerable). */
  readonly baseChains: readonly Stmt[];
}

/** A program from its JSON text (`{"nftables":[...]}`, as JSON.stringify writes it). */
export function nftProgram(json: string, baseChains: readonly Stmt[]): NftProgram {
  let parsed: Command[] | undefined;
  const program = {} as NftProgram;
  Object.defineProperties(program, {
    json: { value: json },
    baseChains: { value: baseChains },
    nftables: {
      enumerable: true,
      get: () => (parsed ??= (JSON.parse(json) as NftDocument).nftables),
    },
  });
  return program;
}

/** Is `x` a compiled program (its JSON text at hand: nothing to serialise)? */
export const isNftProgram = (x: unknown): x is NftProgram =>
  typeof x === 'object' && x !== null && typeof (x as { json?: unknown }).json === 'string';

/** The program followed by more commands, in the same transaction (the text, not re-parsed). */
export function withCommands(program: NftProgram, commands: Command[]): NftProgram {
  if (commands.length === 0) return program;
  const more = commands.map((c) => JSON.stringify(c)).join(',');
  // `json` ends with the closing `]}` of the command array and the document.
  const head = program.json.slice(0, -2);
  const json = `${head}${head.endsWith('[') ? '' : ','}${more}]}`;
  return nftProgram(json, program.baseChains);
}

// The field expressions are shared, one object per field: a 100,000-rule program repeats a few
// dozen of them ~100,000 times, and every object the compiler keeps is work for the garbage
// collector (a third of the compile). Nothing mutates an expression once built (JSON.stringify
// and the text renderer only read them), so sharing is invisible in the output.
const metas = new Map<string, Expr>();
const payloads = new Map<string, Expr>();
const cts = new Map<string, Expr>();
export const meta = (key: string): Expr => {
  let e = metas.get(key);
  if (e === undefined) metas.set(key, (e = { meta: { key } }));
  return e;
};
export const payload = (protocol: string, field: string): Expr => {
  const k = `${protocol} ${field}`;
  let e = payloads.get(k);
  if (e === undefined) payloads.set(k, (e = { payload: { protocol, field } }));
  return e;
};
export const ct = (key: string): Expr => {
  let e = cts.get(key);
  if (e === undefined) cts.set(key, (e = { ct: { key } }));
  return e;
};
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
