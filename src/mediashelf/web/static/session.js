// Shared by the pages: API calls that carry the CSRF token and send a logged-out
// visitor to the login page, and the account corner of the header.
const CSRF_COOKIE = "mediashelf_csrf";

export function csrfToken() {
  const pair = document.cookie.split("; ").find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(CSRF_COOKIE.length + 1)) : "";
}

export function toLogin() {
  location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

export async function api(url, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = new Headers(options.headers || {});
  if (method !== "GET" && method !== "HEAD") headers.set("x-csrf-token", csrfToken());
  const res = await fetch(url, { ...options, headers });
  if (res.status === 401) toLogin();
  return res;
}

// "name · Log out" in `corner`; nothing with AUTH=off, where nobody logs in.
export async function accountCorner(corner) {
  const res = await fetch("/api/v1/auth/me");
  if (!res.ok) return;
  const me = await res.json();
  const name = document.createElement("span");
  name.className = "user";
  name.textContent = me.user.display_name || me.user.username;
  name.title = `${me.user.username} (${me.user.role})`;
  corner.append(name);
  if (me.via !== "session") return;
  const out = document.createElement("button");
  out.type = "button";
  out.className = "logout";
  out.textContent = "Log out";
  out.addEventListener("click", async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    location.href = "/login";
  });
  corner.append(out);
}
