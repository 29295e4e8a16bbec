// Runtime: Node (benchmarks). What a benchmark part returns and how the suite prints it.
// A figure is one measured number, optionally beside the reference it is compared to; the ratio
// and the verdict against the target are computed here, once, so every part reads the same way.

export interface Target {
  /** Human text, `>= 95% of no rules`, `< 2 s`. */
  text: string;
  /** True when the measured figure meets the target. */
  met: (figure: Figure) => boolean;
}

export interface Figure {
  part: string;
  name: string;
  value: number;
  unit: string;
  /** What the value is compared to (`no rules`, `nft -f`), when there is such a thing. */
  reference?: { name: string; value: number };
  target?: Target;
  /** One short remark printed under the table (how it was measured, what was missing). */
  note?: string;
  /** Every round's value when the figure summarises several (printed beside the value). */
  rounds?: number[];
}

export type PartResult =
  { status: 'ran'; figures: Figure[]; notes: string[] } | { status: 'skipped'; why: string };

export interface Part {
  name: string;
  summary: string;
  run(options: RunOptions): Promise<PartResult>;
}

export interface RunOptions {
  /** Fewer repetitions and shorter runs: for trying the suite out, not for the published table. */
  quick: boolean;
  log: (line: string) => void;
}

export const ratio = (figure: Figure): number | undefined =>
  figure.reference && figure.reference.value !== 0
    ? figure.value / figure.reference.value
    : undefined;

export const skipped = (why: string): PartResult => ({ status: 'skipped', why });

/** Targets, phrased the way DESIGN §9 phrases them. */
export const targets = {
  ratioAtLeast: (min: number, text: string): Target => ({
    text,
    met: (f) => (ratio(f) ?? 0) >= min,
  }),
  ratioAtMost: (max: number, text: string): Target => ({
    text,
    met: (f) => (ratio(f) ?? Infinity) <= max,
  }),
  below: (max: number, text: string): Target => ({ text, met: (f) => f.value < max }),
  atLeast: (min: number, text: string): Target => ({ text, met: (f) => f.value >= min }),
};

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export const formatValue = (value: number, unit: string): string =>
  `${formatNumber(value)} ${unit}`.trim();

interface Row {
  part: string;
  figure: string;
  value: string;
  reference: string;
  ratio: string;
  target: string;
  met: string;
}

function rowsOf(results: Array<{ part: string; result: PartResult }>): Row[] {
  const rows: Row[] = [];
  for (const { part, result } of results) {
    if (result.status === 'skipped') {
      rows.push({
        part,
        figure: `skipped: ${result.why}`,
        value: '',
        reference: '',
        ratio: '',
        target: '',
        met: '',
      });
      continue;
    }
    for (const f of result.figures) {
      const r = ratio(f);
      rows.push({
        part,
        figure: f.name,
        value:
          formatValue(f.value, f.unit) +
          (f.rounds && f.rounds.length > 1
            ? ` (rounds: ${f.rounds.map((v) => formatValue(v, '')).join(', ')})`
            : ''),
        reference: f.reference
          ? `${f.reference.name}: ${formatValue(f.reference.value, f.unit)}`
          : '',
        ratio: r === undefined ? '' : r < 1 ? `${(r * 100).toFixed(1)}%` : `${r.toFixed(2)}x`,
        target: f.target?.text ?? '',
        met: f.target ? (f.target.met(f) ? 'yes' : 'NO') : '',
      });
    }
  }
  return rows;
}

const HEADERS: Row = {
  part: 'part',
  figure: 'figure',
  value: 'value',
  reference: 'reference',
  ratio: 'ratio',
  target: 'target',
  met: 'met',
};
const COLUMNS = Object.keys(HEADERS) as Array<keyof Row>;

/** A fixed-width table for the terminal. */
export function textTable(results: Array<{ part: string; result: PartResult }>): string {
  const rows = [HEADERS, ...rowsOf(results)];
  const widths = COLUMNS.map((c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: Row) =>
    COLUMNS.map((c, i) => r[c].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(HEADERS), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function markdownTable(results: Array<{ part: string; result: PartResult }>): string {
  const esc = (s: string) => s.replaceAll('|', '\\|');
  const rows = rowsOf(results);
  return [
    `| ${COLUMNS.map((c) => HEADERS[c]).join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${COLUMNS.map((c) => esc(r[c])).join(' | ')} |`),
  ].join('\n');
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
