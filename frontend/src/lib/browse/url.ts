// What the browse and photoset pages keep in their URL: which page (the path), the search
// and sort of a list, the seed and kind of the discover page. Parsing never throws: an
// odd value is the default, so any URL shows something.

import type { NameKind } from "./model";

export type BrowseView = NameKind | "discover";

/** Which browse page a path is: /tags, /performers, /studios, /discover. */
export function browseView(pathname: string): BrowseView | null {
  const name = pathname.replace(/\/+$/, "").slice(1);
  return name === "tags" || name === "performers" || name === "studios" || name === "discover" ? name : null;
}

export type PhotosetRoute = { page: "list" } | { page: "detail"; id: number } | { page: "unknown" };

/** /photosets, or /photosets/{id}. */
export function photosetRoute(pathname: string): PhotosetRoute {
  const path = pathname.replace(/\/+$/, "");
  if (path === "/photosets") return { page: "list" };
  const match = /^\/photosets\/(\d{1,16})$/.exec(path);
  const id = match ? Number(match[1]) : NaN;
  return Number.isSafeInteger(id) && id >= 1 ? { page: "detail", id } : { page: "unknown" };
}

// -- a list: search and sort -------------------------------------------------------------

export interface ListState<S extends string> {
  q: string;
  sort: S;
}

export const NAME_SORTS = [
  { value: "name", label: "Name, A–Z" },
  { value: "-name", label: "Name, Z–A" },
  { value: "-count", label: "Most items" },
  { value: "count", label: "Fewest items" },
] as const;
export type NameSort = (typeof NAME_SORTS)[number]["value"];

export const PHOTOSET_SORTS = [
  { value: "-created", label: "Newest" },
  { value: "created", label: "Oldest" },
  { value: "-date", label: "Date, latest first" },
  { value: "date", label: "Date, earliest first" },
  { value: "name", label: "Name, A–Z" },
  { value: "-name", label: "Name, Z–A" },
  { value: "-count", label: "Most items" },
  { value: "count", label: "Fewest items" },
] as const;
export type PhotosetSort = (typeof PHOTOSET_SORTS)[number]["value"];

function oneOf<S extends string>(value: string | null, allowed: readonly { value: S }[], fallback: S): S {
  return allowed.find((s) => s.value === value)?.value ?? fallback;
}

/** The list's search and sort from `?q=…&sort=…`; the default sort is left out of URLs. */
export function parseList<S extends string>(
  search: string,
  sorts: readonly { value: S }[],
  fallback: S,
): ListState<S> {
  const params = new URLSearchParams(search);
  return { q: (params.get("q") ?? "").slice(0, 300), sort: oneOf(params.get("sort"), sorts, fallback) };
}

/** `?q=…&sort=…` (what is not the default), keeping the other parameters of `search`. */
export function listSearch<S extends string>(state: ListState<S>, fallback: S, search = ""): string {
  const params = new URLSearchParams(search);
  params.delete("q");
  params.delete("sort");
  if (state.q.trim()) params.set("q", state.q.trim());
  if (state.sort !== fallback) params.set("sort", state.sort);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The gallery, showing one tag's, performer's or studio's items. */
export function galleryHref(kind: NameKind, id: number): string {
  const param = kind === "tags" ? "tag" : kind === "performers" ? "performer" : "studio";
  return `/?${param}=${id}`;
}

// -- photosets: the filters the list understands ------------------------------------------

export interface PhotosetFilters {
  year: number | null;
  tag: number[];
  performer: number[];
  studio: number[];
}

function ids(params: URLSearchParams, name: string): number[] {
  const out: number[] = [];
  for (const value of params.getAll(name)) {
    const n = Number(value);
    if (/^\d{1,16}$/.test(value) && Number.isSafeInteger(n) && n >= 1 && !out.includes(n)) out.push(n);
  }
  return out.slice(0, 20);
}

export function parsePhotosetFilters(search: string): PhotosetFilters {
  const params = new URLSearchParams(search);
  const year = Number(params.get("year"));
  return {
    year: Number.isInteger(year) && year >= 1800 && year <= 2200 ? year : null,
    tag: ids(params, "tag"),
    performer: ids(params, "performer"),
    studio: ids(params, "studio"),
  };
}

export function hasFilters(f: PhotosetFilters): boolean {
  return f.year !== null || f.tag.length > 0 || f.performer.length > 0 || f.studio.length > 0;
}

// -- discover: the seed and the kind ------------------------------------------------------

export const MAX_SEED = 2 ** 31 - 1;

export type KindFilter = "image" | "video" | null;

export interface DiscoverState {
  seed: number | null;
  kind: KindFilter;
}

/** A seed as typed or linked: digits only, 0 … 2³¹-1; else null. */
export function parseSeed(text: string | null | undefined): number | null {
  const value = (text ?? "").trim();
  if (!/^\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n <= MAX_SEED ? n : null;
}

export function parseKind(text: string | null): KindFilter {
  return text === "image" || text === "video" ? text : null;
}

export function parseDiscover(search: string): DiscoverState {
  const params = new URLSearchParams(search);
  return { seed: parseSeed(params.get("seed")), kind: parseKind(params.get("kind")) };
}

export function discoverSearch(state: DiscoverState): string {
  const params = new URLSearchParams();
  if (state.seed !== null) params.set("seed", String(state.seed));
  if (state.kind) params.set("kind", state.kind);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A new seed, different from `not` (so that a reshuffle always changes the order). */
export function newSeed(not: number | null = null, random: () => number = Math.random): number {
  const seed = Math.min(MAX_SEED, Math.floor(random() * (MAX_SEED + 1)));
  return seed === not ? (seed + 1) % (MAX_SEED + 1) : seed;
}
