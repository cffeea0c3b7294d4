// Reordering a photoset: moving one entry of a list (drag and drop, the move buttons, the
// arrow keys), and the queue that sends changes to the server one at a time, in the order
// they were made, where a newer order replaces one not sent yet.

/** A copy of `list` with the entry at `from` moved to `to` (both clamped). */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const target = Math.max(0, Math.min(out.length - 1, to));
  const [entry] = out.splice(from, 1) as [T];
  out.splice(target, 0, entry);
  return out;
}

/** Where a key sends the entry at `index` in a list of `length`; null: not a move key. */
export function keyTarget(key: string, index: number, length: number): number | null {
  switch (key) {
    case "ArrowLeft":
    case "ArrowUp":
      return Math.max(0, index - 1);
    case "ArrowRight":
    case "ArrowDown":
      return Math.min(length - 1, index + 1);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return null;
  }
}

/** The one entry that moved between two orders of the same entries, and the entry it now
 * comes before (null: it is last); null when nothing moved or more than one did. What the
 * server's move takes: it keeps every entry this page does not show where it was. */
export function movedEntry(
  before: readonly number[],
  after: readonly number[],
): { entry: number; before: number | null } | null {
  if (before.length !== after.length) return null;
  let first = 0;
  while (first < after.length && before[first] === after[first]) first++;
  if (first === after.length) return null;
  let last = after.length - 1;
  while (last > first && before[last] === after[last]) last--;
  // Later: the first entry of the changed stretch went to its end; earlier: the reverse.
  const later = before[first] === after[last] && sameOrder(before.slice(first + 1, last + 1), after.slice(first, last));
  const earlier = after[first] === before[last] && sameOrder(after.slice(first + 1, last + 1), before.slice(first, last));
  if (later) return { entry: after[last]!, before: last + 1 < after.length ? after[last + 1]! : null };
  if (earlier) return { entry: after[first]!, before: after[first + 1] ?? null };
  return null;
}

export function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The index of the box under the point, else of the nearest box's centre; null when
 * there are none. The boxes are the tiles' layout boxes (not where an animation shows
 * them), so that a tile moving past the pointer cannot bounce the dragged one back. */
export function dropIndex(boxes: readonly Box[], x: number, y: number): number | null {
  let best: number | null = null;
  let bestDistance = Infinity;
  for (const [i, b] of boxes.entries()) {
    if (x >= b.left && x < b.left + b.width && y >= b.top && y < b.top + b.height) return i;
    const dx = x - (b.left + b.width / 2);
    const dy = y - (b.top + b.height / 2);
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

export type Task = () => Promise<void>;

/**
 * Runs tasks one at a time, in the order given. A task given with a `key` replaces the
 * task of that key still waiting (the newest order is the only one worth sending);
 * `onidle` hears when the queue empties, with the last error (null: all went well).
 */
export class SerialQueue {
  private waiting: { key: string | null; run: Task }[] = [];
  private running = false;
  private error: unknown = null;

  constructor(private readonly onidle: (error: unknown) => void = () => {}) {}

  get busy(): boolean {
    return this.running || this.waiting.length > 0;
  }

  push(run: Task, key: string | null = null): void {
    const same = key === null ? -1 : this.waiting.findIndex((t) => t.key === key);
    if (same >= 0) this.waiting.splice(same, 1);
    this.waiting.push({ key, run });
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    this.error = null;
    while (this.waiting.length) {
      const task = this.waiting.shift()!;
      try {
        await task.run();
      } catch (err) {
        this.error = err;
      }
    }
    this.running = false;
    this.onidle(this.error);
  }
}
