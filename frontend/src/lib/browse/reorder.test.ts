import { describe, expect, it } from "vitest";
import { dropIndex, keyTarget, move, movedEntry, sameOrder, SerialQueue } from "./reorder";

describe("move", () => {
  it("moves an entry forwards and backwards", () => {
    expect(move([1, 2, 3, 4], 0, 2)).toEqual([2, 3, 1, 4]);
    expect(move([1, 2, 3, 4], 3, 0)).toEqual([4, 1, 2, 3]);
    expect(move([1, 2, 3, 4], 1, 1)).toEqual([1, 2, 3, 4]);
  });

  it("clamps the target and ignores a bad source", () => {
    expect(move([1, 2, 3], 0, 99)).toEqual([2, 3, 1]);
    expect(move([1, 2, 3], 2, -5)).toEqual([3, 1, 2]);
    expect(move([1, 2, 3], 7, 0)).toEqual([1, 2, 3]);
  });

  it("never changes the list it is given", () => {
    const list = [1, 2, 3];
    move(list, 0, 2);
    expect(list).toEqual([1, 2, 3]);
  });
});

describe("keyTarget", () => {
  it("maps the arrows, Home and End, and stays inside the list", () => {
    expect(keyTarget("ArrowLeft", 2, 5)).toBe(1);
    expect(keyTarget("ArrowUp", 0, 5)).toBe(0);
    expect(keyTarget("ArrowRight", 2, 5)).toBe(3);
    expect(keyTarget("ArrowDown", 4, 5)).toBe(4);
    expect(keyTarget("Home", 3, 5)).toBe(0);
    expect(keyTarget("End", 1, 5)).toBe(4);
    expect(keyTarget("Enter", 1, 5)).toBeNull();
  });
});

describe("sameOrder", () => {
  it("compares in order", () => {
    expect(sameOrder([1, 2], [1, 2])).toBe(true);
    expect(sameOrder([1, 2], [2, 1])).toBe(false);
    expect(sameOrder([1], [1, 2])).toBe(false);
  });
});

describe("dropIndex", () => {
  // Two rows of three 100×100 boxes, 10 apart.
  const boxes = [0, 1, 2, 3, 4, 5].map((i) => ({ left: (i % 3) * 110, top: Math.floor(i / 3) * 110, width: 100, height: 100 }));

  it("finds the box under the point", () => {
    expect(dropIndex(boxes, 50, 50)).toBe(0);
    expect(dropIndex(boxes, 250, 150)).toBe(5);
  });

  it("takes the nearest box in a gap or outside", () => {
    expect(dropIndex(boxes, 104, 50)).toBe(0);
    expect(dropIndex(boxes, 500, 500)).toBe(5);
    expect(dropIndex([], 0, 0)).toBeNull();
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("SerialQueue", () => {
  it("runs one task at a time, in order, and says when it is idle", async () => {
    const log: string[] = [];
    const idle: unknown[] = [];
    const queue = new SerialQueue((err) => idle.push(err));
    const first = deferred();
    queue.push(async () => {
      log.push("a start");
      await first.promise;
      log.push("a end");
    });
    queue.push(async () => {
      log.push("b");
    });
    await flush();
    expect(log).toEqual(["a start"]);
    expect(queue.busy).toBe(true);
    first.resolve();
    await flush();
    expect(log).toEqual(["a start", "a end", "b"]);
    expect(idle).toEqual([null]);
    expect(queue.busy).toBe(false);
  });

  it("sends only the newest of the waiting orders", async () => {
    const sent: number[][] = [];
    const gate = deferred();
    const queue = new SerialQueue();
    const save = (ids: number[]) => async () => {
      sent.push(ids);
      if (ids[0] === 1) await gate.promise;
    };
    queue.push(save([1, 2, 3]), "order"); // starts at once
    queue.push(save([2, 1, 3]), "order"); // waits…
    queue.push(async () => {}, null); // an unkeyed task in between
    queue.push(save([3, 2, 1]), "order"); // …and is replaced by this one, after the task
    gate.resolve();
    await flush();
    await flush();
    expect(sent).toEqual([
      [1, 2, 3],
      [3, 2, 1],
    ]);
  });

  it("goes on after a failure and reports it", async () => {
    const idle: unknown[] = [];
    const ran: string[] = [];
    const queue = new SerialQueue((err) => idle.push(err));
    queue.push(async () => {
      throw new Error("no");
    });
    queue.push(async () => {
      ran.push("after");
    });
    await flush();
    await flush();
    expect(ran).toEqual(["after"]);
    expect(idle).toHaveLength(1);
    expect((idle[0] as Error).message).toBe("no");
  });
});

/** What the server's move does: `entry` out, then in just before `before` (or last). */
function serverMove(order: number[], entry: number, before: number | null): number[] {
  const rest = order.filter((i) => i !== entry);
  const at = before === null ? rest.length : rest.indexOf(before);
  return [...rest.slice(0, at), entry, ...rest.slice(at)];
}

describe("movedEntry", () => {
  it("names the one move that turns one order into the other, every from and to", () => {
    const list = [10, 11, 12, 13, 14, 15];
    for (let from = 0; from < list.length; from++) {
      for (let to = 0; to < list.length; to++) {
        const after = move(list, from, to);
        const moved = movedEntry(list, after);
        if (from === to) {
          expect(moved).toBeNull();
          continue;
        }
        expect(moved).not.toBeNull();
        expect(serverMove(list, moved!.entry, moved!.before)).toEqual(after);
      }
    }
  });

  it("keeps what the page does not show where it was", () => {
    // The server holds 90 and 91 too; the page shows the rest and moves 13 to the front.
    const server = [90, 10, 11, 91, 12, 13];
    const shown = [10, 11, 12, 13];
    const moved = movedEntry(shown, move(shown, 3, 0))!;
    expect(moved).toEqual({ entry: 13, before: 10 });
    expect(serverMove(server, moved.entry, moved.before)).toEqual([90, 13, 10, 11, 91, 12]);
  });

  it("gives up on anything but one move", () => {
    expect(movedEntry([1, 2, 3, 4], [2, 1, 4, 3])).toBeNull();
    expect(movedEntry([1, 2, 3], [1, 2])).toBeNull();
    expect(movedEntry([1, 2], [1, 2])).toBeNull();
  });
});
