// The justified-row layout: items flow into rows that fill the width, each row as tall as
// its items' aspect ratios make it (near a target height), like a photo book. Items arrive
// a page at a time, so the layout is incremental: only the last, unfinished row is laid
// out again when more come. Optional groups (months, when sorted by date) start a new row
// under a heading. Pure arithmetic, no DOM: the grid positions each tile from a box here
// before its image arrives, which is why nothing moves as thumbnails load.

export interface LayoutOptions {
  /** The grid's width in CSS pixels. */
  width: number;
  /** The height a row aims at. */
  rowHeight: number;
  /** Between tiles and between rows. */
  gap: number;
  /** A group's heading block (0: groups get no heading). */
  headerHeight: number;
}

export interface Row {
  kind: "row";
  top: number;
  height: number;
  /** The items start…end-1. */
  start: number;
  end: number;
  /** Each item's left edge and width, in the row's order. */
  lefts: number[];
  widths: number[];
  /** False for the last row while more items may still join it. */
  complete: boolean;
}

export interface Header {
  kind: "header";
  top: number;
  height: number;
  /** The first item of the group, and the group's key. */
  start: number;
  group: string;
}

export type Block = Row | Header;

export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Aspect ratios beyond these are cropped in their tile (a 10:1 panorama would make a
 * row of one thin strip). */
export const MIN_RATIO = 0.4;
export const MAX_RATIO = 3.5;

function clampRatio(r: number): number {
  if (!Number.isFinite(r) || r <= 0) return 1;
  return Math.min(MAX_RATIO, Math.max(MIN_RATIO, r));
}

/** The target row height and gap for a grid this wide (phones to 4K). */
export function rowSizing(width: number): { rowHeight: number; gap: number } {
  if (width < 480) return { rowHeight: 112, gap: 2 };
  if (width < 768) return { rowHeight: 150, gap: 3 };
  if (width < 1280) return { rowHeight: 190, gap: 4 };
  if (width < 2000) return { rowHeight: 230, gap: 4 };
  return { rowHeight: 280, gap: 5 };
}

export class JustifiedLayout {
  readonly blocks: Block[] = [];
  /** The bottom of the last block. */
  height = 0;
  private options: LayoutOptions;
  private ratios: number[] = [];
  private groups: (string | null)[] = [];
  /** Item index -> index of its row in `blocks`. */
  private rowOf: number[] = [];
  /** Where the next block goes. */
  private next = 0;

  constructor(options: LayoutOptions) {
    this.options = { ...options, width: Math.max(1, options.width) };
  }

  get count(): number {
    return this.ratios.length;
  }

  get settings(): LayoutOptions {
    return this.options;
  }

  /** More items, with their aspect ratios and (optionally) group keys. */
  append(ratios: readonly number[], groups?: readonly (string | null)[]): void {
    const from = this.unfinish();
    for (let i = 0; i < ratios.length; i++) {
      this.ratios.push(clampRatio(ratios[i]!));
      this.groups.push(groups?.[i] ?? null);
    }
    this.flow(from);
  }

  /** New sizes (a resize): everything is laid out again. */
  setOptions(options: LayoutOptions): void {
    this.options = { ...options, width: Math.max(1, options.width) };
    this.blocks.length = 0;
    this.rowOf.length = 0;
    this.next = 0;
    this.height = 0;
    this.flow(0);
  }

  /** Forget every item. */
  clear(): void {
    this.ratios.length = 0;
    this.groups.length = 0;
    this.setOptions(this.options);
  }

  /** The block (row) index of an item. */
  rowIndex(item: number): number {
    return this.rowOf[item] ?? -1;
  }

  /** Where an item's tile is, relative to the grid's top-left corner. */
  box(item: number): Box | null {
    const row = this.blocks[this.rowOf[item] ?? -1];
    if (!row || row.kind !== "row") return null;
    const k = item - row.start;
    return { top: row.top, left: row.lefts[k]!, width: row.widths[k]!, height: row.height };
  }

  /** The height once `total` items are laid out: exact for those here, the rest guessed
   * from the average so far (the scroll bar then spans the whole view). */
  estimate(total: number): number {
    const n = this.count;
    if (total <= n) return this.height;
    const perItem = n > 0 ? this.height / n : (this.options.rowHeight + this.options.gap) / 4;
    return Math.round(this.height + (total - n) * perItem);
  }

  /** Drop the unfinished last row (and the heading just before it, if its group starts
   * there), so that it is laid out again with what comes next: its first item. */
  private unfinish(): number {
    const last = this.blocks.at(-1);
    if (!last || last.kind !== "row" || last.complete) return this.count;
    this.blocks.pop();
    let top = last.top;
    const before = this.blocks.at(-1);
    if (before && before.kind === "header" && before.start === last.start) {
      this.blocks.pop();
      top = before.top;
    }
    this.rowOf.length = last.start;
    this.next = top;
    this.height = this.blocks.length ? top - this.options.gap : 0;
    return last.start;
  }

  private flow(from: number): void {
    const { width, rowHeight: target, gap, headerHeight } = this.options;
    const n = this.count;
    let group: string | null | undefined = from > 0 ? this.groups[from - 1] : undefined;
    let start = from;
    let sum = 0;
    for (let i = from; i < n; i++) {
      const g = this.groups[i]!;
      if (headerHeight > 0 && g !== null && g !== group) {
        if (i > start) this.emit(start, i, target, false, true);
        this.blocks.push({ kind: "header", top: this.next, height: headerHeight, start: i, group: g });
        this.next += headerHeight;
        start = i;
        sum = 0;
      }
      group = g;
      const r = this.ratios[i]!;
      sum += r;
      const items = i - start + 1;
      const h = (width - gap * (items - 1)) / sum;
      if (h > target) continue;
      if (items > 1) {
        const without = (width - gap * (items - 2)) / (sum - r);
        if (without - target < target - h) {
          this.emit(start, i, without, true, true);
          start = i;
          sum = r;
          const alone = width / r;
          if (alone <= target) {
            this.emit(i, i + 1, alone, true, true);
            start = i + 1;
            sum = 0;
          }
          continue;
        }
      }
      this.emit(start, i + 1, h, true, true);
      start = i + 1;
      sum = 0;
    }
    if (start < n) this.emit(start, n, target, false, false);
  }

  /** A row of the items start…end-1 at height `h`: `fill` stretches it to the width. */
  private emit(start: number, end: number, h: number, fill: boolean, complete: boolean): void {
    const { width, gap } = this.options;
    const height = Math.max(1, Math.round(h));
    const lefts: number[] = [];
    const widths: number[] = [];
    let x = 0;
    for (let i = start; i < end; i++) {
      const left = Math.round(x);
      x += this.ratios[i]! * h;
      let right = Math.round(x);
      if (fill && i === end - 1) right = width;
      right = Math.min(right, width);
      lefts.push(left);
      widths.push(Math.max(1, right - left));
      x += gap;
    }
    const index = this.blocks.length;
    this.blocks.push({ kind: "row", top: this.next, height, start, end, lefts, widths, complete });
    for (let i = start; i < end; i++) this.rowOf[i] = index;
    this.height = this.next + height;
    this.next = this.height + gap;
  }
}
