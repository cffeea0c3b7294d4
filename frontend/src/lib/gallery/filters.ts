// The gallery's view: filters and sort, held in the page's URL (`/?tag=3&kind=video`), so
// that a view can be shared, bookmarked, and gone back and forth in history. The URL's
// parameters are the API's own (GET /api/v1/items takes the same names), passed on as
// written: the server validates them, and its refusal is shown to the visitor.

export type ListKey = "tag" | "performer" | "studio";
export type FlagKey = "recursive" | "untagged" | "favorite";
export type TextKey =
  | "kind"
  | "folder"
  | "root"
  | "rating_min"
  | "date_from"
  | "date_to"
  | "orientation"
  | "sort";

export type Filters = { [K in ListKey]: string[] } & { [K in FlagKey]: boolean } & {
  [K in TextKey]: string | null;
};

export const LISTS: readonly ListKey[] = ["tag", "performer", "studio"];
export const FLAGS: readonly FlagKey[] = ["recursive", "untagged", "favorite"];
export const TEXTS: readonly TextKey[] = [
  "kind",
  "folder",
  "root",
  "rating_min",
  "date_from",
  "date_to",
  "orientation",
  "sort",
];
/** The URL's order of parameters: one view, one URL. */
const ORDER: readonly (keyof Filters)[] = [
  "kind",
  "folder",
  "recursive",
  "root",
  "tag",
  "performer",
  "studio",
  "untagged",
  "favorite",
  "rating_min",
  "date_from",
  "date_to",
  "orientation",
  "sort",
];

export const DEFAULT_SORT = "-date";

export const SORTS: readonly { value: string; label: string }[] = [
  { value: "-date", label: "Newest first" },
  { value: "date", label: "Oldest first" },
  { value: "name", label: "Name A–Z" },
  { value: "-name", label: "Name Z–A" },
  { value: "-size", label: "Largest first" },
  { value: "size", label: "Smallest first" },
];

export function emptyFilters(): Filters {
  return {
    kind: null,
    folder: null,
    recursive: false,
    root: null,
    tag: [],
    performer: [],
    studio: [],
    untagged: false,
    favorite: false,
    rating_min: null,
    date_from: null,
    date_to: null,
    orientation: null,
    sort: null,
  };
}

const FALSE = new Set(["", "0", "false", "no", "off"]);

/** The view a URL's query string describes (`location.search`). Unknown parameters are
 * ignored; values are kept as written (the API says what is wrong with them). */
export function parseFilters(search: string): Filters {
  const params = new URLSearchParams(search);
  const f = emptyFilters();
  for (const key of LISTS) {
    f[key] = [...new Set(params.getAll(key).filter((v) => v !== ""))];
  }
  for (const key of FLAGS) {
    const value = params.get(key);
    f[key] = value !== null && !FALSE.has(value.toLowerCase());
  }
  for (const key of TEXTS) {
    const value = params.get(key);
    f[key] = value === null || value === "" ? null : value;
  }
  if (f.sort === DEFAULT_SORT) f.sort = null;
  if (f.folder !== null) {
    const trimmed = f.folder.replace(/^\/+|\/+$/g, "");
    f.folder = trimmed === "" && !f.recursive ? "" : trimmed || null;
  }
  return f;
}

/** The query string for a view ("" for the whole library, newest first). */
export function filtersToSearch(f: Filters): string {
  const params = new URLSearchParams();
  for (const key of ORDER) {
    const value = f[key];
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else if (typeof value === "boolean") {
      if (value) params.set(key, "1");
    } else if (value !== null && !(key === "sort" && value === DEFAULT_SORT)) {
      params.set(key, value);
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export type Query = Record<string, string | string[] | boolean>;

/** The parameters of GET /api/v1/items and /items/count for a view (count takes no sort). */
export function filtersToQuery(f: Filters, withSort = true): Query {
  const q: Query = {};
  for (const key of ORDER) {
    const value = f[key];
    if (key === "sort" && !withSort) continue;
    if (key === "recursive" && f.folder === null) continue;
    if (Array.isArray(value)) {
      if (value.length) q[key] = value;
    } else if (typeof value === "boolean") {
      if (value) q[key] = true;
    } else if (value !== null) q[key] = value;
  }
  return q;
}

/** Whether two views are the same. */
export function sameFilters(a: Filters, b: Filters): boolean {
  return filtersToSearch(a) === filtersToSearch(b);
}

/** Whether the view narrows the library at all (the sort does not). */
export function narrows(f: Filters): boolean {
  return Object.keys(filtersToQuery(f, false)).length > 0;
}

/** Names for the ids in a view (tags, performers, studios), as far as they are known. */
export type Names = Record<ListKey, Map<string, string>>;

export function emptyNames(): Names {
  return { tag: new Map(), performer: new Map(), studio: new Map() };
}

export interface Chip {
  /** Stable across renders: the parameter and its value. */
  key: string;
  label: string;
  /** The view without this filter. */
  without: Filters;
}

const KINDS: Record<string, string> = { image: "Photos", video: "Videos" };
const ORIENTATIONS: Record<string, string> = {
  landscape: "Landscape",
  portrait: "Portrait",
  square: "Square",
};
const LIST_LABEL: Record<ListKey, string> = { tag: "Tag", performer: "Performer", studio: "Studio" };

export function stars(n: string): string {
  const count = Number(n);
  return Number.isInteger(count) && count >= 1 && count <= 5 ? `${"★".repeat(count)}${count < 5 ? " or more" : ""}` : n;
}

/** A readable date (YYYY-MM-DD as "3 May 2024"), or the text as it is. */
export function showDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return text;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(date.getTime())) return text;
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** The removable chips of a view's filters, in the URL's order (the sort is no chip). */
export function chips(f: Filters, names: Names = emptyNames()): Chip[] {
  const out: Chip[] = [];
  const add = (key: string, label: string, change: (g: Filters) => void): void => {
    const without = { ...f, tag: [...f.tag], performer: [...f.performer], studio: [...f.studio] };
    change(without);
    out.push({ key, label, without });
  };
  if (f.kind !== null) add("kind", KINDS[f.kind] ?? `Kind: ${f.kind}`, (g) => (g.kind = null));
  if (f.folder !== null) {
    const where = f.folder === "" ? "top folder" : f.folder;
    add("folder", `Folder: ${where}${f.recursive ? " and below" : ""}`, (g) => {
      g.folder = null;
      g.recursive = false;
    });
  }
  if (f.root !== null) add("root", `Library ${f.root}`, (g) => (g.root = null));
  for (const key of LISTS) {
    for (const id of f[key]) {
      const name = names[key].get(id);
      add(`${key}=${id}`, `${LIST_LABEL[key]}: ${name ?? `#${id}`}`, (g) => (g[key] = g[key].filter((v) => v !== id)));
    }
  }
  if (f.untagged) add("untagged", "Untagged", (g) => (g.untagged = false));
  if (f.favorite) add("favorite", "Favourites", (g) => (g.favorite = false));
  if (f.rating_min !== null) add("rating_min", `Rated ${stars(f.rating_min)}`, (g) => (g.rating_min = null));
  if (f.date_from !== null && f.date_to !== null) {
    add("dates", `${showDate(f.date_from)} – ${showDate(f.date_to)}`, (g) => {
      g.date_from = null;
      g.date_to = null;
    });
  } else if (f.date_from !== null) {
    add("date_from", `From ${showDate(f.date_from)}`, (g) => (g.date_from = null));
  } else if (f.date_to !== null) {
    add("date_to", `Until ${showDate(f.date_to)}`, (g) => (g.date_to = null));
  }
  if (f.orientation !== null) {
    add("orientation", ORIENTATIONS[f.orientation] ?? `Orientation: ${f.orientation}`, (g) => (g.orientation = null));
  }
  return out;
}

export interface Heading {
  /** What the view is: "Library", a tag's name, a folder's last part… */
  title: string;
  /** What kind of view it is ("Tag", "Folder"…), or null for the library. */
  kind: string | null;
  /** For a folder: its parents, each with the view that opens it. */
  trail: { label: string; folder: string }[];
}

/** The view's heading: the one tag, performer, studio or folder it is about, if any. */
export function heading(f: Filters, names: Names = emptyNames()): Heading {
  const lists = LISTS.filter((k) => f[k].length > 0);
  const only = lists.length === 1 && f[lists[0]!].length === 1 && f.folder === null ? lists[0]! : null;
  if (only) {
    const id = f[only][0]!;
    return { title: names[only].get(id) ?? `${LIST_LABEL[only]} #${id}`, kind: LIST_LABEL[only], trail: [] };
  }
  if (f.folder !== null && lists.length === 0) {
    const parts = f.folder.split("/").filter(Boolean);
    const trail = parts.slice(0, -1).map((label, i) => ({ label, folder: parts.slice(0, i + 1).join("/") }));
    return { title: parts.at(-1) ?? "Top folder", kind: "Folder", trail };
  }
  if (f.favorite && lists.length === 0 && f.folder === null) {
    return { title: "Favourites", kind: null, trail: [] };
  }
  if (f.kind === "video" && !narrowsBeyondKind(f)) return { title: "Videos", kind: null, trail: [] };
  if (f.kind === "image" && !narrowsBeyondKind(f)) return { title: "Photos", kind: null, trail: [] };
  return { title: "Library", kind: null, trail: [] };
}

function narrowsBeyondKind(f: Filters): boolean {
  return narrows({ ...f, kind: null });
}
