// Opening an item from a tile. An image opens in the lightbox (lib/lightbox), with the list
// it is part of (`Sequence`) so that ←/→ go through it and the page can hand over more at
// its end; a video opens its watch page. The tiles are links either way: a middle click
// or a modifier opens a tab as the browser would.

import { itemHref, type Item } from "./model";

/** The list a tile belongs to, as the lightbox sees it. */
export interface Sequence {
  /** The items loaded so far, in order. */
  items: () => Item[];
  /** Load the next page; resolves to the items now loaded (the same: no more). */
  more?: () => Promise<Item[]>;
}

export function open(item: Item, sequence?: Sequence): void {
  if (item.kind === "video") {
    location.assign(itemHref(item));
    return;
  }
  const all = sequence?.items() ?? [item];
  const list = all.filter((i) => i.kind === "image" || i.kind === "video");
  const index = Math.max(0, list.findIndex((i) => i.id === item.id));
  const more = sequence?.more;
  void import("../lightbox/mount").then(
    ({ openLightbox }) =>
      openLightbox({
        items: index < list.length && list[index]?.id === item.id ? list : [item],
        index: list[index]?.id === item.id ? index : 0,
        onmore: more
          ? async (end) => {
              if (end !== "after") return [];
              const before = new Set(sequence.items().map((i) => i.id));
              const after = await more();
              return after.filter((i) => !before.has(i.id));
            }
          : undefined,
      }),
    () => location.assign(itemHref(item)), // the chunk could not load: the original, as before
  );
}

/** A tile's click: plain clicks go through `open`, the rest to the browser. */
export function openClick(event: MouseEvent, item: Item, sequence?: Sequence): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  open(item, sequence);
}
