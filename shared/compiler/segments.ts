// Pure. Cutting a run of sibling tests into consecutive segments that can each be one verdict-map
// lookup: a map finds one element, so a segment must not hold two spans one packet can fall in.

/**
 * A tested value as a closed interval of its field (addresses per family, ports/protocols 0).
 * Bounds are numbers where they fit in a double (ports, protocols, IPv4: the compiler's spans) and
 * bigints for IPv6; within one family they are of one type, and `<` compares either exactly.
 */
export interface Span {
  family: number;
  lo: number | bigint;
  hi: number | bigint;
}

export const bySpan = (a: Span, b: Span): number =>
  a.family - b.family || (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0);

/**
 * Cuts a list of spans into consecutive segments, each pairwise disjoint and as long as it can
 * be (greedy, in list order); returns their lengths. O(n log n): the spans of each family are
 * ranked once by `lo`; the current segment's spans are marked in two Fenwick trees over the ranks
 * (the highest `hi` among marked ranks below a rank, the lowest marked rank above it), so a span
 * overlaps the segment iff the one reaches its `lo` or the other starts by its `hi`.
 */
export function disjointSegments(spans: Span[]): number[] {
  interface Family {
    sorted: Span[];
    maxHi: (number | bigint | null)[];
    minRank: Int32Array;
  }
  const families = new Map<number, Family>();
  const rank = new Int32Array(spans.length);
  const byFamily = new Map<number, number[]>();
  spans.forEach((span, i) => {
    const list = byFamily.get(span.family);
    if (list) list.push(i);
    else byFamily.set(span.family, [i]);
  });
  for (const [family, indices] of byFamily) {
    indices.sort((x, y) => bySpan(spans[x] as Span, spans[y] as Span));
    indices.forEach((index, r) => (rank[index] = r));
    const m = indices.length;
    families.set(family, {
      sorted: indices.map((i) => spans[i] as Span),
      maxHi: new Array<number | bigint | null>(m + 1).fill(null),
      minRank: new Int32Array(m + 1).fill(m),
    });
  }
  const overlaps = (span: Span, r: number): boolean => {
    const f = families.get(span.family) as Family;
    const m = f.sorted.length;
    for (let k = r; k > 0; k -= k & -k) {
      const high = f.maxHi[k];
      if (high != null && high >= span.lo) return true;
    }
    let next = m;
    for (let k = m - 1 - r; k > 0; k -= k & -k) next = Math.min(next, f.minRank[k] as number);
    return next < m && (f.sorted[next] as Span).lo <= span.hi;
  };
  const mark = (span: Span, r: number, clear: boolean): void => {
    const f = families.get(span.family) as Family;
    const m = f.sorted.length;
    for (let k = r + 1; k <= m; k += k & -k) {
      const high = f.maxHi[k];
      if (clear) f.maxHi[k] = null;
      else if (high == null || high < span.hi) f.maxHi[k] = span.hi;
    }
    for (let k = m - r; k <= m; k += k & -k)
      f.minRank[k] = clear ? m : Math.min(f.minRank[k] as number, r);
  };
  const lengths: number[] = [];
  let segmentStart = 0;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as Span;
    if (overlaps(span, rank[i] as number)) {
      lengths.push(i - segmentStart);
      for (let j = segmentStart; j < i; j++) mark(spans[j] as Span, rank[j] as number, true);
      segmentStart = i;
    }
    mark(span, rank[i] as number, false);
  }
  lengths.push(spans.length - segmentStart);
  return lengths;
}
