// A list fetched a page at a time by following the API's `next_cursor`: one request at a
// time, an error kept until `retry()`, and `stop()` for a list the page no longer shows
// (a new search): a page answered after that is dropped, never mixed into the next list.

export interface Page<T> {
  items: T[];
  next: string | null;
}

export type FetchPage<T> = (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>;

export class Pager<T> {
  items: T[] = [];
  done = false;
  loading = false;
  error: unknown = null;
  /** Pages fetched so far. */
  pages = 0;
  private cursor: string | null;
  private readonly controller = new AbortController();

  /** `start`: the cursor of the first page to fetch (a page already shown: its next). */
  constructor(
    private readonly fetchPage: FetchPage<T>,
    start: { items?: T[]; cursor?: string | null } = {},
  ) {
    if (start.items) {
      this.items = [...start.items];
      this.cursor = start.cursor ?? null;
      this.done = this.cursor === null;
      this.pages = 1;
    } else {
      this.cursor = null;
    }
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Fetch the next page; its items, or null when there was nothing to do (busy, done,
   * failed, stopped). */
  async more(): Promise<T[] | null> {
    if (this.loading || this.done || this.error !== null || this.stopped) return null;
    this.loading = true;
    try {
      const page = await this.fetchPage(this.cursor, this.controller.signal);
      if (this.stopped) return null;
      this.items = [...this.items, ...page.items];
      this.cursor = page.next;
      this.done = page.next === null;
      this.pages += 1;
      return page.items;
    } catch (err) {
      if (this.stopped) return null;
      this.error = err;
      return null;
    } finally {
      this.loading = false;
    }
  }

  /** Every page left, one after the other (for reordering, which saves the whole list).
   * False if one failed or the pager was stopped. */
  async all(): Promise<boolean> {
    while (!this.done) {
      if (this.error !== null || this.stopped) return false;
      if (this.loading) return false;
      await this.more();
    }
    return true;
  }

  /** After an error: let `more` try the same page again. */
  retry(): void {
    this.error = null;
  }

  stop(): void {
    this.controller.abort();
  }
}

/** A readable message for anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return typeof err === "string" && err ? err : "Something went wrong.";
}
