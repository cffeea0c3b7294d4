// Where the login page goes once logged in: the `next` parameter, but only a page of this
// site: never an open redirect to another one.

/**
 * The path (with query and fragment) that `next` names on `origin`, or "/".
 *
 * The URL parser decides, as the browser will: it drops tabs and newlines and reads "\"
 * as "/", so `/%09/evil.example` and `/\evil.example` are other sites. A path that
 * starts with "//" once dot segments are gone (`/.//evil.example`) would be one too,
 * read as a path: its leading slashes become one.
 */
export function safeNext(next: string | null | undefined, origin: string): string {
  let url: URL;
  try {
    url = new URL(next || "/", origin);
  } catch {
    return "/"; // not a URL at all
  }
  if (url.origin !== new URL(origin).origin) return "/";
  const path = url.pathname.replace(/^\/+/, "/");
  return path + url.search + url.hash;
}
