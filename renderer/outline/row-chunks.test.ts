// Runtime: Node (vitest). The outline's react-arborist is patched (patches/react-arborist+*.patch)
// so that, with `rowChunk`, its list renders a range that moves in steps of rowChunk rows while
// scrolling (fewer, larger changes of the rendered rows). The list's range, for any scroll
// position, direction and list size: every visible row is rendered, the overscan lies beyond it
// (forward: in the direction of scrolling, or both ways at rest; where the list has rows), and
// the range is the same for every offset of the same chunk; a scroll that keeps the range does not
// re-render the list, and the visible rows are still reported.

import fc from 'fast-check';
import { ChunkedFixedSizeList } from 'react-arborist/dist/main/components/default-container.js';
import { describe, expect, it } from 'vitest';

type Range = [number, number, number, number];
interface ListState {
  isScrolling: boolean;
  scrollDirection: 'forward' | 'backward';
  scrollOffset: number;
}

const ROW = 22;

function rangeAt(
  props: { itemCount: number; height: number; overscanCount: number; rowChunk: number },
  state: ListState,
): Range {
  const list = new ChunkedFixedSizeList({ ...props, itemSize: ROW, width: 800 }) as {
    state: ListState;
    _getRangeToRender: () => Range;
  };
  list.state = { ...list.state, ...state };
  return list._getRangeToRender();
}

const cases = fc.record({
  itemCount: fc.integer({ min: 1, max: 5000 }),
  height: fc.integer({ min: 22, max: 1200 }),
  overscanCount: fc.integer({ min: 0, max: 12 }),
  rowChunk: fc.integer({ min: 2, max: 16 }),
  isScrolling: fc.boolean(),
  scrollDirection: fc.constantFrom('forward' as const, 'backward' as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('ChunkedFixedSizeList (rowChunk)', () => {
  it('renders every visible row and the overscan beyond it', () => {
    fc.assert(
      fc.property(cases, ({ at, isScrolling, scrollDirection, ...props }) => {
        const maxOffset = Math.max(0, props.itemCount * ROW - props.height);
        const scrollOffset = Math.floor(at * maxOffset);
        const [start, stop, visibleStart, visibleStop] = rangeAt(props, {
          isScrolling,
          scrollDirection,
          scrollOffset,
        });
        const firstVisible = Math.floor(scrollOffset / ROW);
        const lastVisible = Math.min(
          props.itemCount - 1,
          Math.ceil((scrollOffset + props.height) / ROW) - 1,
        );
        expect(visibleStart).toBe(firstVisible);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(stop).toBeLessThanOrEqual(props.itemCount - 1);
        expect(start).toBeLessThanOrEqual(firstVisible);
        expect(stop).toBeGreaterThanOrEqual(Math.max(lastVisible, visibleStop));
        const over = Math.max(1, props.overscanCount);
        const forward = !isScrolling || scrollDirection === 'forward' ? over : 1;
        const backward = !isScrolling || scrollDirection === 'backward' ? over : 1;
        expect(stop).toBeGreaterThanOrEqual(Math.min(props.itemCount - 1, lastVisible + forward));
        expect(start).toBeLessThanOrEqual(Math.max(0, firstVisible - backward));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the range while the first visible row stays in the same chunk', () => {
    fc.assert(
      fc.property(cases, fc.nat(), ({ at, isScrolling, scrollDirection, ...props }, delta) => {
        const rows = props.itemCount;
        const first = Math.floor(at * (rows - 1));
        const chunkStart = first - (first % props.rowChunk);
        const other = chunkStart + (delta % props.rowChunk);
        const range = (row: number, px: number) =>
          rangeAt(props, { isScrolling, scrollDirection, scrollOffset: row * ROW + px });
        const [a0, a1] = range(first, delta % ROW);
        const [b0, b1] = range(other, 0);
        expect([b0, b1]).toEqual([a0, a1]);
      }),
      { numRuns: 2000 },
    );
  });

  it('without rowChunk it is react-window’s own range', () => {
    const props = { itemCount: 1000, height: 440, overscanCount: 10, rowChunk: 0 };
    const state: ListState = { isScrolling: true, scrollDirection: 'forward', scrollOffset: 2200 };
    expect(rangeAt(props, state)).toEqual([99, 129, 100, 119]);
  });

  it('re-renders on a scroll only when the range changes, and reports the visible rows', () => {
    const seen: number[][] = [];
    const props = {
      itemCount: 10_000,
      height: 440,
      itemSize: ROW,
      width: 800,
      overscanCount: 10,
      rowChunk: 8,
      onItemsRendered: (r: Record<string, number>) =>
        seen.push([r.visibleStartIndex!, r.visibleStopIndex!]),
    };
    const list = new ChunkedFixedSizeList(props) as {
      state: ListState & { scrollUpdateWasRequested: boolean };
      shouldComponentUpdate: (p: object, s: object) => boolean;
    };
    const at = {
      isScrolling: true,
      scrollDirection: 'forward' as const,
      scrollUpdateWasRequested: false,
    };
    list.state = { ...list.state, ...at, scrollOffset: 16 * ROW };
    const scrollTo = (rows: number, more: object = {}) =>
      list.shouldComponentUpdate(props, { ...list.state, scrollOffset: rows * ROW, ...more });
    // Rows 16-23 start the same chunk: same range, no render, the visible rows reported.
    expect(scrollTo(19)).toBe(false);
    expect(seen.at(-1)).toEqual([19, 38]);
    expect(scrollTo(23.5)).toBe(false);
    expect(seen.at(-1)).toEqual([23, 43]);
    // The next chunk, a turn, the end of scrolling, a requested scroll, new props: rendered.
    expect(scrollTo(24)).toBe(true);
    expect(scrollTo(17, { scrollDirection: 'backward' })).toBe(true);
    expect(scrollTo(17, { isScrolling: false })).toBe(true);
    expect(scrollTo(17, { scrollUpdateWasRequested: true })).toBe(true);
    expect(list.shouldComponentUpdate({ ...props, height: 460 }, list.state)).toBe(true);
  });
});
