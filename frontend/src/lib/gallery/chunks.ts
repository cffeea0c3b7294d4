// Bulk calls whose API takes at most so many items a request (tags, photosets, ratings,
// favourites: 10,000): a long selection is sent in pieces.

/** `list` in pieces of at most `size` (an API's limit per request). */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
