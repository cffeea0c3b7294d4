// Opening the lightbox from any page: mounted over the page (outside #app, which is made
// inert meanwhile: the focus stays in the viewer), unmounted when it closes, and the focus
// given back to the element that opened it (or the tile of the item it closed on).
import { mount, unmount } from "svelte";
import Lightbox from "./Lightbox.svelte";
import type { LightboxItem, More } from "./types";

export interface OpenOptions {
  items: LightboxItem[];
  index: number;
  onmore?: More;
  /** Where the focus goes back to; default: what had it when the lightbox opened. */
  returnFocus?: HTMLElement | null;
  onclose?: (item: LightboxItem | null) => void;
}

let current: ReturnType<typeof mount> | null = null;

export function openLightbox(options: OpenOptions): void {
  if (current || !options.items.length) return;
  const opener = options.returnFocus ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
  const app = document.getElementById("app");
  const target = document.createElement("div");
  target.className = "lightbox-root";
  document.body.append(target);
  if (app) app.inert = true;
  document.documentElement.classList.add("lb-open");
  current = mount(Lightbox, {
    target,
    props: {
      items: options.items,
      start: options.index,
      onmore: options.onmore,
      onclose: (item: LightboxItem | null) => {
        const instance = current;
        current = null;
        if (app) app.inert = false;
        document.documentElement.classList.remove("lb-open");
        if (instance) void unmount(instance);
        target.remove();
        const back = opener?.isConnected ? opener : null;
        // Moved on to another item: its tile, when the page shows it.
        const tile = item ? document.querySelector<HTMLElement>(`#app a[data-id="${item.id}"]`) : null;
        const same = !item || back?.dataset.id === String(item.id);
        ((same ? back : tile) ?? back)?.focus();
        options.onclose?.(item);
      },
    },
  });
}

export function lightboxOpen(): boolean {
  return current !== null;
}
