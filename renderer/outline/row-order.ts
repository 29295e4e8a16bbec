// Runtime: browser (renderer/); the planning part is pure. Puts the outline's rendered rows back
// in document order among their parent's children, a few at a time.
// Why: react-arborist's recycled rows (our patch's `recycleRows`) keep their place among the
// list's children while the list scrolls (a row handed to another rule is updated where it is),
// so after a scroll most rows are out of document order. Moving a row element re-creates its
// style and layout (and moving the focused one blurs it: React gives the focus back inside its
// commit, which forces that layout at once): putting ~45 rows back in one commit when a wheel
// scroll stopped was a 20-30 ms task. Here the rows' React order never changes (RowsElement
// keeps each key where it was first rendered), and the DOM order is fixed up by moving only the
// rows outside the longest run already in order, at most MOVES_PER_STEP per task, one step per
// frame; the focused row is never moved (the others go around it).

/** Rows moved in one task (each costs its style, layout and paint again). */
export const MOVES_PER_STEP = 12;

/**
 * Which elements stay where they are, given each one's place in the wanted order (`keys`, in
 * their current order; equal keys keep their current order): the longest run already in order,
 * containing `pinned` (an index into `keys`) when given. Everything else has to move.
 */
export function keptInPlace(keys: readonly number[], pinned: number | null = null): boolean[] {
  const keep = keys.map(() => false);
  const candidates: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    // With a pinned element, only those that can stay around it are candidates.
    if (pinned !== null && i !== pinned) {
      const before = i < pinned;
      if (before ? keys[i]! > keys[pinned]! : keys[i]! < keys[pinned]!) continue;
    }
    candidates.push(i);
  }
  // Longest non-decreasing subsequence of the candidates' keys (patience sorting, O(n log n)),
  // with the pinned element forced in by splitting around it.
  const longest = (from: number[]): number[] => {
    const tails: number[] = []; // index into `from` of the smallest tail of each length
    const prev: number[] = new Array<number>(from.length).fill(-1);
    for (let j = 0; j < from.length; j++) {
      const k = keys[from[j]!]!;
      let lo = 0;
      let hi = tails.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[from[tails[mid]!]!]! <= k) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) prev[j] = tails[lo - 1]!;
      tails[lo] = j;
    }
    const run: number[] = [];
    for (let j = tails.length ? tails[tails.length - 1]! : -1; j >= 0; j = prev[j]!) {
      run.push(from[j]!);
    }
    return run;
  };
  if (pinned === null) {
    for (const i of longest(candidates)) keep[i] = true;
  } else {
    for (const i of longest(candidates.filter((i) => i < pinned))) keep[i] = true;
    keep[pinned] = true;
    for (const i of longest(candidates.filter((i) => i > pinned))) keep[i] = true;
  }
  return keep;
}

/**
 * The moves that put the elements in key order: [element, the element it goes before, or null
 * for the end], in the order to do them, at most `budget` of them (the rest on a later call:
 * each call plans from the order as it is then and makes progress).
 */
export function planMoves(
  keys: readonly number[],
  pinned: number | null,
  budget: number,
): Array<[number, number | null]> {
  const keep = keptInPlace(keys, pinned);
  const wanted = keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const moves: Array<[number, number | null]> = [];
  // From the end: each moved element goes right before its successor in the wanted order,
  // which is already where it belongs relative to everything after it.
  let next: number | null = null;
  for (let w = wanted.length - 1; w >= 0 && moves.length < budget; w--) {
    const i = wanted[w]!;
    if (!keep[i]) moves.push([i, next]);
    next = i;
  }
  return moves;
}

/** Where a row element belongs: its `top` (react-window positions every row). */
const rowTop = (el: Element): number => {
  const top = parseFloat((el as HTMLElement).style?.top ?? '');
  return Number.isFinite(top) ? top : Number.MAX_SAFE_INTEGER;
};

/**
 * Moves up to `budget` of `parent`'s children towards the order of their `top`; returns whether
 * they are all in order now. The child holding the focus stays where it is: moving it would blur
 * it (and `moveBefore`, which keeps the focus, made Chromium 156 scroll the list by hundreds of
 * pixels when it moved the focused row).
 */
export function orderRowsStep(parent: HTMLElement, budget: number): boolean {
  const kids = Array.from(parent.children);
  const keys = kids.map(rowTop);
  const active = document.activeElement;
  const pinned =
    active && active !== parent && parent.contains(active)
      ? kids.findIndex((k) => k.contains(active))
      : -1;
  const moves = planMoves(keys, pinned >= 0 ? pinned : null, budget + 1);
  for (const [i, before] of moves.slice(0, budget)) {
    parent.insertBefore(kids[i]!, before === null ? null : kids[before]!);
  }
  return moves.length <= budget;
}
