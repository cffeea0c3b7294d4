// The virtual window over a layout: which blocks (rows, headings) meet the part of the grid
// on screen, so that only those are in the DOM; which tiles a dragged rectangle touches;
// and the tile next to another for the arrow keys. Binary searches over the blocks, which
// are sorted by top: cheap at 100k items.
import type { Block, JustifiedLayout } from "./justify";

/** The first block whose bottom is below `y` (blocks.length if none). */
export function firstBelow(blocks: readonly Block[], y: number): number {
  let lo = 0;
  let hi = blocks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const b = blocks[mid]!;
    if (b.top + b.height <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The blocks [first, end) that meet the band top…bottom (grid coordinates). */
export function blocksIn(blocks: readonly Block[], top: number, bottom: number): [number, number] {
  const first = firstBelow(blocks, top);
  let lo = first;
  let hi = blocks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (blocks[mid]!.top < bottom) lo = mid + 1;
    else hi = mid;
  }
  return [first, Math.max(first, lo)];
}

export interface Band {
  /** What to render: the blocks [first, end). */
  first: number;
  end: number;
}

/**
 * The blocks to render for a viewport showing `viewTop`…`viewBottom` of the grid, with
 * `overscan` pixels more above and below (scrolling shows rows that are ready).
 */
export function band(blocks: readonly Block[], viewTop: number, viewBottom: number, overscan: number): Band {
  const [first, end] = blocksIn(blocks, viewTop - overscan, viewBottom + overscan);
  return { first, end };
}

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The items whose tiles meet a rectangle (grid coordinates), in order. */
export function hits(layout: JustifiedLayout, rect: Rect): number[] {
  const out: number[] = [];
  const [first, end] = blocksIn(layout.blocks, rect.top, rect.bottom);
  for (let b = first; b < end; b++) {
    const row = layout.blocks[b]!;
    if (row.kind !== "row") continue;
    for (let k = 0; k < row.lefts.length; k++) {
      const left = row.lefts[k]!;
      if (left < rect.right && left + row.widths[k]! > rect.left) out.push(row.start + k);
    }
  }
  return out;
}

export type Direction = "left" | "right" | "up" | "down";

/** The item the arrow key goes to from `item`: the next or previous one, or the one in
 * the row above or below nearest in x; null at an end. */
export function neighbour(layout: JustifiedLayout, item: number, direction: Direction): number | null {
  const count = layout.count;
  if (item < 0 || item >= count) return null;
  if (direction === "left") return item > 0 ? item - 1 : null;
  if (direction === "right") return item + 1 < count ? item + 1 : null;
  const box = layout.box(item);
  if (!box) return null;
  const centre = box.left + box.width / 2;
  const step = direction === "up" ? -1 : 1;
  let b = layout.rowIndex(item) + step;
  while (b >= 0 && b < layout.blocks.length) {
    const row = layout.blocks[b]!;
    if (row.kind === "row") {
      let best = row.start;
      let distance = Infinity;
      for (let k = 0; k < row.lefts.length; k++) {
        const d = Math.abs(row.lefts[k]! + row.widths[k]! / 2 - centre);
        if (d < distance) {
          distance = d;
          best = row.start + k;
        }
      }
      return best;
    }
    b += step;
  }
  return null;
}

/** The item nearest the top of the view (an anchor to keep in place across a relayout). */
export function anchorAt(layout: JustifiedLayout, y: number): number | null {
  const b = firstBelow(layout.blocks, y);
  for (let i = b; i < layout.blocks.length; i++) {
    const block = layout.blocks[i]!;
    if (block.kind === "row") return block.start;
  }
  return null;
}
