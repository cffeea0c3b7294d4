import { describe, expect, it } from "vitest";
import { chunks, runPool } from "./pool";

describe("runPool", () => {
  it("runs a few at a time, keeps failures and reports progress", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const tasks = Array.from({ length: 20 }, (_, i) => async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 1));
      running -= 1;
      if (i % 7 === 3) throw new Error(`no ${i}`);
      return i * 2;
    });
    const out = await runPool(tasks, 4, (done) => seen.push(done));
    expect(most).toBeLessThanOrEqual(4);
    expect(out.done).toBe(17);
    expect(out.failed.map((f) => f.index)).toEqual([3, 10, 17]);
    expect(out.results[5]).toBe(10);
    expect(seen.at(-1)).toBe(20);
  });

  it("does nothing for no tasks", async () => {
    expect((await runPool([], 4)).done).toBe(0);
  });

  it("cuts lists into chunks", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });
});
