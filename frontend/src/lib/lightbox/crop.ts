// The crop editor's rectangles (tested): drawn and resized in the picture's pixels (so an
// aspect such as 4:3 is the picture's, not the screen's), kept inside the picture, and
// sent as the API wants them: 0..1 of the upright picture.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export const ASPECTS = ["free", "1:1", "4:3", "3:2", "16:9", "9:16"] as const;
export type Aspect = (typeof ASPECTS)[number];

/** width / height of an aspect label; null for free. */
export function ratioOf(aspect: Aspect): number | null {
  if (aspect === "free") return null;
  const [w = 1, h = 1] = aspect.split(":").map(Number);
  return w / h;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** The rectangle from a fixed corner (`anchor`) to the pointer, inside a W x H picture,
 * locked to `ratio` when one is given (the largest such rectangle the pointer allows). */
export function spanRect(anchor: Point, to: Point, ratio: number | null, W: number, H: number): Rect {
  const ax = clamp(anchor.x, 0, W);
  const ay = clamp(anchor.y, 0, H);
  const px = clamp(to.x, 0, W);
  const py = clamp(to.y, 0, H);
  const right = px >= ax;
  const down = py >= ay;
  let w = Math.abs(px - ax);
  let h = Math.abs(py - ay);
  if (ratio !== null && ratio > 0) {
    // The larger of the two the pointer asks for, then cut down to the room there is.
    if (w / ratio > h) h = w / ratio;
    else w = h * ratio;
    const roomW = right ? W - ax : ax;
    const roomH = down ? H - ay : ay;
    if (w > roomW) {
      w = roomW;
      h = w / ratio;
    }
    if (h > roomH) {
      h = roomH;
      w = h * ratio;
    }
  }
  return { x: right ? ax : ax - w, y: down ? ay : ay - h, width: w, height: h };
}

export type Handle = "nw" | "ne" | "sw" | "se";

/** Resizing by a corner: the opposite corner stays. */
export function resizeRect(rect: Rect, handle: Handle, to: Point, ratio: number | null, W: number, H: number): Rect {
  const anchor = {
    x: handle.includes("w") ? rect.x + rect.width : rect.x,
    y: handle.includes("n") ? rect.y + rect.height : rect.y,
  };
  return spanRect(anchor, to, ratio, W, H);
}

/** Moved by (dx, dy), stopping at the picture's edges. */
export function moveRect(rect: Rect, dx: number, dy: number, W: number, H: number): Rect {
  return {
    ...rect,
    x: clamp(rect.x + dx, 0, Math.max(0, W - rect.width)),
    y: clamp(rect.y + dy, 0, Math.max(0, H - rect.height)),
  };
}

/** The largest rectangle of `ratio` centred on `rect`'s centre that fits in both
 * `rect`'s larger side and the picture (for a new preset); free: `rect` as it is. With
 * no rectangle: the largest centred one in the picture. */
export function fitAspect(rect: Rect | null, ratio: number | null, W: number, H: number): Rect {
  const base = rect && rect.width > 0 && rect.height > 0 ? rect : { x: 0, y: 0, width: W, height: H };
  if (ratio === null) return base;
  const cx = base.x + base.width / 2;
  const cy = base.y + base.height / 2;
  let w = Math.max(base.width, base.height * ratio);
  let h = w / ratio;
  if (w > W) {
    w = W;
    h = w / ratio;
  }
  if (h > H) {
    h = H;
    w = h * ratio;
  }
  return moveRect({ x: cx - w / 2, y: cy - h / 2, width: w, height: h }, 0, 0, W, H);
}

/** 0..1 of the picture, rounded (6 places) and kept inside it, as the API checks. */
export function normalize(rect: Rect, W: number, H: number): Rect {
  const r = (v: number): number => Math.round(v * 1e6) / 1e6;
  const x = clamp(r(rect.x / W), 0, 0.999999);
  const y = clamp(r(rect.y / H), 0, 0.999999);
  return {
    x,
    y,
    width: clamp(r(rect.width / W), 1e-6, r(1 - x)),
    height: clamp(r(rect.height / H), 1e-6, r(1 - y)),
  };
}

/** From the API's 0..1 back to pixels. */
export function denormalize(rect: Rect, W: number, H: number): Rect {
  return { x: rect.x * W, y: rect.y * H, width: rect.width * W, height: rect.height * H };
}

/** Arrow-key nudging: moves (or, with `grow`, resizes from the far corner) by `step`. */
export function nudge(rect: Rect, key: string, step: number, grow: boolean, ratio: number | null, W: number, H: number): Rect | null {
  const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  const d = moves[key];
  if (!d) return null;
  const [dx, dy] = d;
  if (!grow) return moveRect(rect, dx, dy, W, H);
  const corner = { x: rect.x + rect.width + dx, y: rect.y + rect.height + dy };
  if (ratio !== null && dx === 0) corner.x = rect.x + (rect.height + dy) * ratio;
  const next = spanRect({ x: rect.x, y: rect.y }, corner, ratio, W, H);
  return next.width >= 1 && next.height >= 1 ? next : rect;
}
