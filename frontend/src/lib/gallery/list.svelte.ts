// The gallery's list: the view's items as the grid shows them, fetched a page at a time
// (a Feed), with what the page says about them (loading, failed, how many, new ones
// waiting). `items` grows in place; `version` says when.
import { ApiError } from "../api/client";
import { messageOf } from "../browse/paging";
import * as gallery from "./api";
import { Feed } from "./feed";
import type { Filters } from "./filters";
import { toLightbox, type GalleryItem } from "./items";
import type { OpenOptions } from "../lightbox/mount";

export const FIRST_PAGE = 100;
const PAGE = 250;
const BIG_PAGE = 500;

export interface ListHooks {
  filters: () => Filters;
  /** A feed of the view's items from the start. */
  feed: (filters: Filters) => Feed<GalleryItem>;
  /** A page (`first`: the view's first) or the count arrived. */
  onpage: (first: boolean) => void;
}

export class GalleryList {
  items: GalleryItem[] = $state.raw([]);
  version = $state(0);
  /** The items in the view: null until counted. */
  total: number | null = $state(null);
  phase: "loading" | "ready" | "error" = $state("loading");
  error = $state("");
  errorStatus = $state(0);
  moreError = $state("");
  /** New items wait at the top. */
  fresh = $state(false);
  /** Every item of the view is loaded. */
  ended = $state(false);
  /** How many are loaded. */
  loaded = $derived.by(() => {
    void this.version;
    return this.items.length;
  });
  /** Not $state: read only in code. */
  feed = new Feed<GalleryItem>(() => Promise.resolve({ items: [], next_cursor: null }));

  constructor(private readonly hooks: ListHooks) {}

  /** The view's items from the start. */
  start(): void {
    this.feed.stop();
    const mine = this.hooks.feed(this.hooks.filters());
    this.feed = mine;
    this.items = mine.items;
    this.version += 1;
    this.total = null;
    this.phase = "loading";
    this.ended = false;
    this.error = "";
    this.moreError = "";
    this.fresh = false;
    void this.more(false);
  }

  /** The next page (`far`: a big one, for a jump down the scroll bar). */
  async more(far: boolean): Promise<void> {
    const mine = this.feed;
    if (mine.loading || mine.done || mine.error !== null || mine.stopped) return;
    await mine.more(mine.items.length === 0 ? FIRST_PAGE : far ? BIG_PAGE : PAGE);
    if (this.feed !== mine) return;
    const failure: unknown = mine.error;
    if (failure !== null) {
      if (mine.items.length === 0) {
        this.phase = "error";
        this.error = messageOf(failure);
        this.errorStatus = failure instanceof ApiError ? failure.status : 0;
      } else this.moreError = messageOf(failure);
      return;
    }
    const first = this.phase !== "ready";
    this.phase = "ready";
    this.ended = mine.done;
    if (mine.done) this.total = mine.items.length;
    else if (first) void this.count(mine);
    this.version += 1;
    this.hooks.onpage(first);
  }

  retryMore(): void {
    this.moreError = "";
    this.feed.retry();
    void this.more(false);
  }

  async count(mine = this.feed): Promise<void> {
    try {
      const n = await gallery.countItems(this.hooks.filters());
      if (this.feed === mine && !mine.done) this.total = Math.max(n, mine.items.length);
      this.hooks.onpage(false);
    } catch {
      // the list says what is wrong; the count is only a nicety
    }
  }

  /** Quietly swap in the view's first items again (new files at the top). */
  async reload(): Promise<void> {
    const mine = this.hooks.feed(this.hooks.filters());
    await mine.more(Math.min(BIG_PAGE, Math.max(FIRST_PAGE, this.items.length)));
    if (mine.error !== null || mine.stopped) return;
    this.feed.stop();
    this.feed = mine;
    this.items = mine.items;
    this.version += 1;
    this.fresh = false;
    this.ended = mine.done;
    if (mine.done) this.total = mine.items.length;
    else void this.count(mine);
  }

  /** Put changed items back into the list (the tiles show them at once). */
  update(changes: Map<number, Partial<GalleryItem>>): void {
    if (!changes.size) return;
    for (let i = 0; i < this.items.length; i++) {
      const change = changes.get(this.items[i]!.id);
      if (change) this.items[i] = { ...this.items[i]!, ...change };
    }
    this.version += 1;
  }

  /** The lightbox on the item at `index`, going through the view (the next page at its end). */
  viewer(index: number): OpenOptions {
    const mine = this.feed;
    return {
      items: mine.items.map(toLightbox),
      index,
      onmore: async () => {
        if (this.feed !== mine) return [];
        const known = mine.items.length;
        await this.more(false);
        return mine.items.slice(known).map(toLightbox);
      },
    };
  }

  stop(): void {
    this.feed.stop();
  }
}
