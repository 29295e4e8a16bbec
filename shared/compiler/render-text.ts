// Runtime: pure (shared/). libnftables JSON (as compile() writes it) -> the nft text a person reads,
// close to what `nft list table inet treewall` shows.
// Invariant: user text (comments) is printed as a JSON string literal, so quotes and newlines in a
// rule name are visible as escapes and cannot break the listing's structure. The text is for
// reading; the JSON is what gets applied.

import type { Command, Json, NftDocument } from './nft.ts';

type Obj = { [key: string]: Json };
const isObj = (x: Json | undefined): x is Obj =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const BARE_META = new Set(['iifname', 'oifname', 'iif', 'oif']);
const QUOTED_KEYS = new Set(['iifname', 'oifname', 'hour', 'day', 'time']);

const quote = (s: string): string => JSON.stringify(s);

function duration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function scalarText(x: Json, quoted: boolean, hex: boolean): string {
  if (typeof x === 'number') return hex ? `0x${x.toString(16).padStart(8, '0')}` : String(x);
  if (typeof x === 'string') return quoted || !/^[A-Za-z0-9_.:/@*-]+$/.test(x) ? quote(x) : x;
  if (typeof x === 'boolean') return x ? 'exists' : 'missing';
  return expr(x, quoted, hex);
}

function leftKey(x: Json): string | undefined {
  if (isObj(x) && isObj(x.meta) && typeof x.meta.key === 'string') return x.meta.key;
  if (isObj(x) && Array.isArray(x['&'])) return leftKey(x['&'][0] as Json);
  return undefined;
}

export function expr(x: Json, quoted = false, hex = false): string {
  if (x === null) return '';
  if (Array.isArray(x)) return x.map((v) => scalarText(v, quoted, hex)).join('|');
  if (!isObj(x)) return scalarText(x, quoted, hex);
  if (isObj(x.meta)) {
    const key = String(x.meta.key);
    return BARE_META.has(key) ? key : `meta ${key}`;
  }
  if (isObj(x.payload) && x.payload.base !== undefined)
    return `@${String(x.payload.base)},${String(x.payload.offset)},${String(x.payload.len)}`;
  if (isObj(x.payload)) return `${String(x.payload.protocol)} ${String(x.payload.field)}`;
  if (isObj(x.ct)) return `ct ${String(x.ct.key)}`;
  if (isObj(x['ip option'])) return `ip option ${String(x['ip option'].name)}`;
  if (isObj(x['tcp option'])) return `tcp option ${String(x['tcp option'].name)}`;
  if (isObj(x.numgen))
    return `numgen ${String(x.numgen.mode)} mod ${String(x.numgen.mod)} offset ${String(x.numgen.offset)}`;
  if (Array.isArray(x['&'])) {
    const [l, r] = x['&'];
    const h = leftKey(l as Json) === 'mark';
    const right = Array.isArray(r) ? `(${expr(r)})` : scalarText(r as Json, false, h);
    return `${expr(l as Json)} & ${right}`;
  }
  if (Array.isArray(x['|'])) {
    const [l, r] = x['|'];
    return `${expr(l as Json)} | ${scalarText(r as Json, false, leftKey(l as Json) === 'mark')}`;
  }
  if (Array.isArray(x.range)) {
    const [a, b] = x.range;
    return `${scalarText(a as Json, quoted, hex)}-${scalarText(b as Json, quoted, hex)}`;
  }
  if (isObj(x.prefix)) return `${String(x.prefix.addr)}/${String(x.prefix.len)}`;
  if (Array.isArray(x.set)) return `{ ${x.set.map((v) => scalarText(v, quoted, hex)).join(', ')} }`;
  return JSON.stringify(x);
}

export function statement(s: Obj): string {
  const [name, v] = Object.entries(s)[0] ?? ['', null];
  switch (name) {
    case 'match': {
      if (!isObj(v)) break;
      const key = leftKey(v.left as Json);
      const quoted = key !== undefined && QUOTED_KEYS.has(key);
      const right = scalarText(v.right as Json, quoted, key === 'mark');
      if (typeof v.right === 'boolean') return `${expr(v.left as Json)} ${right}`;
      // nft omits `==` except after a bitwise expression, where it would be ambiguous to read.
      const masked = isObj(v.left) && Array.isArray(v.left['&']);
      const op = (v.op === '==' && !masked) || v.op === 'in' ? '' : `${String(v.op)} `;
      return `${expr(v.left as Json)} ${op}${right}`;
    }
    case 'counter':
      return typeof v === 'string' ? `counter name ${v}` : 'counter';
    case 'accept':
    case 'drop':
    case 'return':
      return name;
    case 'jump':
    case 'goto':
      return isObj(v) ? `${name} ${String(v.target)}` : name;
    case 'log':
      return isObj(v) ? `log prefix ${quote(String(v.prefix))} group ${String(v.group)}` : 'log';
    case 'reject':
      if (isObj(v) && v.type === 'tcp reset') return 'reject with tcp reset';
      return isObj(v) ? `reject with ${String(v.type)} type ${String(v.expr)}` : 'reject';
    case 'mangle':
      return isObj(v) ? `${expr(v.key as Json)} set ${expr(v.value as Json)}` : name;
    case 'masquerade':
      return 'masquerade';
    case 'dnat': {
      if (!isObj(v)) break;
      const addr =
        v.family === 'ip6' && v.port !== undefined ? `[${String(v.addr)}]` : String(v.addr);
      return `dnat ${String(v.family)} to ${addr}${v.port !== undefined ? `:${String(v.port)}` : ''}`;
    }
    case 'redirect':
      return isObj(v) && v.port !== undefined ? `redirect to :${String(v.port)}` : 'redirect';
    case 'set': {
      if (!isObj(v)) break;
      const e = v.elem;
      const inner =
        isObj(e) && isObj(e.elem)
          ? `${expr(e.elem.val as Json)} timeout ${duration(Number(e.elem.timeout))}`
          : expr(e as Json);
      return `${String(v.op)} ${String(v.set)} { ${inner} }`;
    }
    case 'vmap':
      return isObj(v) ? `${expr(v.key as Json)} vmap ${String(v.data)}` : name;
    case 'limit': {
      if (!isObj(v)) break;
      const unit = v.rate_unit === 'bytes' ? ' bytes' : '';
      return `limit rate ${v.inv ? 'over ' : ''}${String(v.rate)}${unit}/${String(v.per)}`;
    }
    case 'quota': {
      if (!isObj(v)) break;
      return `quota ${v.inv ? 'over' : 'until'} ${String(v.val)} ${String(v.val_unit)}`;
    }
    case 'meter': {
      if (!isObj(v)) break;
      return `meter ${String(v.name)} size ${String(v.size)} { ${expr(v.key as Json)} ${statement(v.stmt as Obj)} }`;
    }
    default:
      break;
  }
  return JSON.stringify(s);
}

function elementList(elem: Json[]): string {
  return elem
    .map((item) => {
      if (!Array.isArray(item)) return expr(item);
      const [k, verdict] = item;
      const val = isObj(k) && isObj(k.elem) ? k.elem.val : k;
      const counter = isObj(k) && isObj(k.elem) && k.elem.counter !== undefined ? ' counter' : '';
      return `${expr(val as Json)}${counter} : ${statement(verdict as Obj)}`;
    })
    .join(', ');
}

/** A set's elements: constants (`tcp`), or addresses with their timeout and time left. */
function setElementList(elem: Json[]): string {
  return elem
    .map((item) => {
      if (!isObj(item) || !isObj(item.elem)) return expr(item);
      const e = item.elem;
      const timeout = typeof e.timeout === 'number' ? ` timeout ${duration(e.timeout)}` : '';
      const expires = typeof e.expires === 'number' ? ` expires ${duration(e.expires)}` : '';
      return `${expr(e.val as Json)}${timeout}${expires}`;
    })
    .join(', ');
}

/** What `nft list table inet <name>` would print for this document, for people to read. */
export function renderText(doc: NftDocument): string {
  const tables: string[] = [];
  let table: { family: string; name: string } | undefined;
  const objects: string[] = [];
  const chains = new Map<string, { header?: string; rules: string[] }>();
  const chainOf = (name: string): { header?: string; rules: string[] } => {
    let c = chains.get(name);
    if (!c) {
      c = { rules: [] };
      chains.set(name, c);
    }
    return c;
  };
  let deleted = false;
  for (const command of doc.nftables as Command[]) {
    if (isObj(command.delete)) deleted = true;
    const add = isObj(command.add) ? command.add : undefined;
    if (!add) continue;
    if (isObj(add.table)) {
      table = { family: String(add.table.family), name: String(add.table.name) };
    } else if (isObj(add.counter)) {
      const c = add.counter;
      const comment = typeof c.comment === 'string' ? `\n\t\tcomment ${quote(c.comment)}` : '';
      objects.push(`\tcounter ${String(c.name)} {${comment}\n\t}`);
    } else if (isObj(add.set)) {
      const s = add.set;
      const flags = Array.isArray(s.flags) ? `\n\t\tflags ${s.flags.join(',')}` : '';
      const timeout = typeof s.timeout === 'number' ? `\n\t\ttimeout ${duration(s.timeout)}` : '';
      const elems = Array.isArray(s.elem) ? `\n\t\telements = { ${setElementList(s.elem)} }` : '';
      objects.push(
        `\tset ${String(s.name)} {\n\t\ttype ${String(s.type)}${flags}${timeout}${elems}\n\t}`,
      );
    } else if (isObj(add.map)) {
      const m = add.map;
      const flags = Array.isArray(m.flags) ? `\n\t\tflags ${m.flags.join(',')}` : '';
      const counter = Array.isArray(m.stmt) ? '\n\t\tcounter' : '';
      const elems = Array.isArray(m.elem) ? `\n\t\telements = { ${elementList(m.elem)} }` : '';
      objects.push(
        `\tmap ${String(m.name)} {\n\t\ttype ${String(m.type)} : ${String(m.map)}${flags}${counter}${elems}\n\t}`,
      );
    } else if (isObj(add.chain)) {
      const c = add.chain;
      const entry = chainOf(String(c.name));
      if (typeof c.hook === 'string') {
        entry.header = `type ${String(c.type)} hook ${c.hook} priority ${String(c.prio)}; policy ${String(c.policy)};`;
      }
    } else if (isObj(add.rule)) {
      const r = add.rule;
      const stmts = Array.isArray(r.expr) ? r.expr.filter(isObj).map(statement) : [];
      const comment = typeof r.comment === 'string' ? ` comment ${quote(r.comment)}` : '';
      chainOf(String(r.chain)).rules.push(`\t\t${stmts.join(' ')}${comment}`);
    }
  }
  if (!table) return '';
  const chainText = [...chains].map(([name, c]) => {
    const lines = [...(c.header ? [`\t\t${c.header}`] : []), ...c.rules];
    return `\tchain ${name} {\n${lines.join('\n')}\n\t}`;
  });
  const head = deleted ? `# replaces table ${table.family} ${table.name} in one transaction\n` : '';
  tables.push(
    `${head}table ${table.family} ${table.name} {\n${[...objects, ...chainText].join('\n\n')}\n}\n`,
  );
  return tables.join('');
}
