// Opening an item from a tile. An image opens in the lightbox (lib/lightbox), with the list
// it is part of (`Sequence`) so that ←/→ go through it and the page can hand over more at
// its end; a video opens its watch page. The tiles are links either way: a middle click
// or a modifier opens a tab as the browser would. A URL with `#item=ID` opens that item
// on load (`openLinkedItem`).

import { openLinked, openViewer } from "../lightbox/link";
import type { OpenOptions } from "../lightbox/mount";
import { itemHref, type Item } from "./model";

/** The list a tile belongs to, as the lightbox sees it. */
export interface Sequence {
  /** The items loaded so far, in order. */
  items: () => Item[];
  /** Load the next page; resolves to the items now loaded (the same: no more). */
  more?: () => Promise<Item[]>;
}

/** The viewer on `item`, going through its sequence. */
function viewerOptions(item: Item, sequence?: Sequence): OpenOptions {
  const list = (sequence?.items() ?? [item]).filter((i) => i.kind === "image" || i.kind === "video");
  const index = list.findIndex((i) => i.id === item.id);
  const more = sequence?.more;
  return {
    items: index >= 0 ? list : [item],
    index: Math.max(0, index),
    onmore: more
      ? async () => {
          const before = new Set(sequence.items().map((i) => i.id));
          const after = await more();
          return after.filter((i) => !before.has(i.id));
        }
      : undefined,
  };
}

export function open(item: Item, sequence?: Sequence): void {
  if (item.kind === "video") {
    location.assign(itemHref(item));
    return;
  }
  // The chunk could not load: the original, as before.
  openViewer(viewerOptions(item, sequence), () => location.assign(itemHref(item)));
}

/** On load: the item the URL's hash names, in the first of `sequences` that has it (else on
 * its own); `onerror` says why when it cannot be opened. */
export function openLinkedItem(sequences: Sequence[], onerror: (message: string) => void): void {
  void openLinked((id) => {
    for (const sequence of sequences) {
      const item = sequence.items().find((i) => i.id === id);
      if (item) return viewerOptions(item, sequence);
    }
    return null;
  }, onerror);
}

/** A tile's click: plain clicks go through `open`, the rest to the browser. */
export function openClick(event: MouseEvent, item: Item, sequence?: Sequence): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  open(item, sequence);
}
