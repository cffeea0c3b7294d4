// Select mode's arithmetic: a click toggles one item, a shift-click sets the whole range
// from the last clicked item (the anchor) to this one, a dragged rectangle adds what it
// touches to what was selected when the drag began. Ids, not indexes: the items stay
// selected while the view loads more.

export interface Selectable {
  id: number;
}

/** Toggle one item; answers whether it is now selected. */
export function toggle(selected: Set<number>, id: number): boolean {
  if (selected.delete(id)) return false;
  selected.add(id);
  return true;
}

/**
 * Shift-click: the items from `anchor` to `index` (either order, both included) take
 * the state the anchor has (selected, or not: a shift-click can clear a range too).
 */
export function extend(selected: Set<number>, items: readonly Selectable[], anchor: number, index: number): void {
  const on = items[anchor] ? selected.has(items[anchor].id) : true;
  const lo = Math.max(0, Math.min(anchor, index));
  const hi = Math.min(items.length - 1, Math.max(anchor, index));
  for (let i = lo; i <= hi; i++) {
    const id = items[i]!.id;
    if (on) selected.add(id);
    else selected.delete(id);
  }
}

/** A drag's selection: what was selected before it, plus the items it touches. */
export function dragged(before: ReadonlySet<number>, items: readonly Selectable[], touched: readonly number[]): Set<number> {
  const out = new Set(before);
  for (const i of touched) {
    const item = items[i];
    if (item) out.add(item.id);
  }
  return out;
}

/** The selected items in the view's order (those loaded). */
export function selectedItems<T extends Selectable>(selected: ReadonlySet<number>, items: readonly T[]): T[] {
  if (!selected.size) return [];
  return items.filter((item) => selected.has(item.id));
}

/**
 * Select mode's state: the selected ids (one set, changed in place: `version` says when)
 * and how a click, a shift-click, a drag or a long press changes them. Plain TypeScript:
 * the page keeps a reactive counter of `version`.
 */
export class Selection {
  readonly selected = new Set<number>();
  /** Bumped on every change. */
  version = 0;
  /** The last item clicked or pressed: where a shift-click's range starts. */
  private anchor: number | null = null;
  /** What was selected when the drag began. */
  private base: ReadonlySet<number> = new Set();

  get size(): number {
    return this.selected.size;
  }

  clear(): void {
    this.selected.clear();
    this.anchor = null;
    this.version += 1;
  }

  /** A click (or a long press: `range` false) on the item at `index`. */
  click(items: readonly Selectable[], index: number, range = false): void {
    const item = items[index];
    if (!item) return;
    if (range && this.anchor !== null) extend(this.selected, items, this.anchor, index);
    else {
      toggle(this.selected, item.id);
      this.anchor = index;
    }
    this.version += 1;
  }

  dragStart(): void {
    this.base = new Set(this.selected);
  }

  /** The drag touches these indexes now (on top of what was selected when it began). */
  dragTo(items: readonly Selectable[], touched: readonly number[]): void {
    const now = dragged(this.base, items, touched);
    this.selected.clear();
    for (const id of now) this.selected.add(id);
    this.version += 1;
  }

  all(items: readonly Selectable[]): void {
    for (const item of items) this.selected.add(item.id);
    this.version += 1;
  }

  /** The selected ids. */
  ids(): number[] {
    return [...this.selected];
  }
}
