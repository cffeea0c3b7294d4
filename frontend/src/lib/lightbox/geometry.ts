// The viewer's zoom and pan, in plain numbers (tested): the picture is fitted into the
// stage ("contain"), then scaled by `scale` (1 = fitted) about the stage's centre and moved
// by `x`, `y` (CSS pixels). Panning never shows more than the stage beyond an edge.

export interface Size {
  width: number;
  height: number;
}

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const FITTED: View = { scale: 1, x: 0, y: 0 };
export const MIN_SCALE = 1;
export const MAX_SCALE = 8;

/** The picture's size fitted into the box, keeping its shape. */
export function fit(picture: Size, box: Size): Size {
  if (picture.width <= 0 || picture.height <= 0 || box.width <= 0 || box.height <= 0) {
    return { width: Math.max(0, box.width), height: Math.max(0, box.height) };
  }
  const k = Math.min(box.width / picture.width, box.height / picture.height);
  return { width: picture.width * k, height: picture.height * k };
}

function limit(offset: number, content: number, box: number): number {
  const room = Math.max(0, (content - box) / 2);
  return Math.min(room, Math.max(-room, offset));
}

/** The scale within bounds, and the offsets such that no gap opens at an edge (a
 * picture smaller than the stage in one direction stays centred in it). */
export function clampView(view: View, fitted: Size, box: Size): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Number.isFinite(view.scale) ? view.scale : 1));
  return {
    scale,
    x: limit(view.x, fitted.width * scale, box.width) || 0,
    y: limit(view.y, fitted.height * scale, box.height) || 0,
  };
}

/** Zoom by `factor` keeping the point `at` (relative to the stage's centre) where it is. */
export function zoomAt(view: View, factor: number, at: { x: number; y: number }, fitted: Size, box: Size): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return clampView({ scale, x: at.x - (at.x - view.x) * k, y: at.y - (at.y - view.y) * k }, fitted, box);
}

export function panBy(view: View, dx: number, dy: number, fitted: Size, box: Size): View {
  return clampView({ scale: view.scale, x: view.x + dx, y: view.y + dy }, fitted, box);
}

/** A swipe: a mostly sideways move of at least `min` px; -1 = to the next (leftwards). */
export function swipe(dx: number, dy: number, min = 50): -1 | 0 | 1 {
  if (Math.abs(dx) < min || Math.abs(dx) < Math.abs(dy) * 1.5) return 0;
  return dx < 0 ? -1 : 1;
}

/** The wheel's zoom factor for a wheel delta (pixels). */
export function wheelFactor(deltaY: number): number {
  return Math.exp(-Math.max(-300, Math.min(300, deltaY)) * 0.002);
}
