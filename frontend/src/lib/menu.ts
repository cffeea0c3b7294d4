// What the header's pop-ups share (the user menu, the phone navigation): the arrow keys of
// a menu, and closing on Escape or a press outside.

/** The item a key moves the focus to in a menu of `count` items, from `index` (-1: none
 * yet); null for a key that does not move it. */
export function menuMove(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case "ArrowDown":
      return (index + 1) % count;
    case "ArrowUp":
      return index <= 0 ? count - 1 : index - 1;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** Call `close` on Escape (with `true`: give the focus back to the opener) or on a press
 * outside `inside`. Returns the way to stop listening. */
export function onDismiss(inside: HTMLElement, close: (refocus: boolean) => void): () => void {
  const press = (event: PointerEvent): void => {
    if (!inside.contains(event.target as Node)) close(false);
  };
  const key = (event: KeyboardEvent): void => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    close(true);
  };
  document.addEventListener("pointerdown", press, true);
  document.addEventListener("keydown", key);
  return () => {
    document.removeEventListener("pointerdown", press, true);
    document.removeEventListener("keydown", key);
  };
}
