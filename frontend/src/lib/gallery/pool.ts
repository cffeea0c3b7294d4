// Bulk actions whose API takes one item per request (ratings, favourites): a few requests
// at a time, with progress, and every failure kept rather than the first one thrown.

export interface PoolResult<T> {
  done: number;
  failed: { index: number; error: unknown }[];
  results: (T | undefined)[];
}

export async function runPool<T>(
  tasks: readonly (() => Promise<T>)[],
  concurrency = 6,
  progress?: (finished: number, total: number) => void,
): Promise<PoolResult<T>> {
  const results: (T | undefined)[] = new Array(tasks.length);
  const failed: { index: number; error: unknown }[] = [];
  let next = 0;
  let finished = 0;
  async function worker(): Promise<void> {
    while (next < tasks.length) {
      const index = next++;
      try {
        results[index] = await tasks[index]!();
      } catch (error) {
        failed.push({ index, error });
      }
      finished += 1;
      progress?.(finished, tasks.length);
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker);
  await Promise.all(workers);
  failed.sort((a, b) => a.index - b.index);
  return { done: tasks.length - failed.length, failed, results };
}

/** `list` in pieces of at most `size` (an API's limit per request). */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
