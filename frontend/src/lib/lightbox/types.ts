// What the lightbox needs of an item: the fields of GET /api/v1/items/{id} that a page's
// tiles already hold (lib/browse/model.ts's Item has them; the gallery's items too).

export interface LightboxItem {
  id: number;
  /** Shown: the title when set, else the file name. */
  label: string;
  kind: string;
  width: number | null;
  height: number | null;
  /** "#rrggbb": the placeholder until the picture arrives. */
  color: string | null;
  thumbnails: { small: string; medium: string; large: string } | null;
  /** The original file's URL. */
  original: string;
}

/** Asking a page for more items at the end of its list: what it got (none: no more). */
export type More = () => Promise<LightboxItem[]>;
