// A view's items, fetched a page at a time by following the API's `next_cursor`. One
// request at a time; `stop()` abandons the feed (the view changed), and a page answered
// after that is dropped rather than mixed into the next view.

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type FetchPage<T> = (cursor: string | null, limit: number, signal: AbortSignal) => Promise<Page<T>>;

export class Feed<T> {
  readonly items: T[] = [];
  done = false;
  loading = false;
  error: unknown = null;
  private cursor: string | null = null;
  private readonly controller = new AbortController();

  constructor(private readonly fetchPage: FetchPage<T>) {}

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** The next page's items (already appended to `items`); null when there was nothing to
   * do (loading, done, failed, stopped) or the feed was stopped meanwhile. */
  async more(limit: number): Promise<T[] | null> {
    if (this.loading || this.done || this.error !== null || this.stopped) return null;
    this.loading = true;
    try {
      const page = await this.fetchPage(this.cursor, limit, this.controller.signal);
      if (this.stopped) return null;
      this.items.push(...page.items);
      this.cursor = page.next_cursor;
      this.done = page.next_cursor === null;
      return page.items;
    } catch (err) {
      if (this.stopped) return null;
      this.error = err;
      return null;
    } finally {
      this.loading = false;
    }
  }

  /** After an error: let `more` try the same page again. */
  retry(): void {
    this.error = null;
  }

  stop(): void {
    this.controller.abort();
  }
}
