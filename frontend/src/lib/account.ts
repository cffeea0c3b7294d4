// Who is visiting: /api/v1/auth/me, asked once per page and shared by everything that
// needs it (the header's user menu and admin link, the account page).
import { api } from "./api/client";

/** The answer of /api/v1/auth/me (it declares no response model: read with care). */
export type Me = Record<string, unknown>;

export interface Account {
  /** What the header shows: the display name, else the username. */
  name: string;
  username: string;
  /** The display name as set (may be empty). */
  displayName: string;
  role: string;
  /** Whether the account has a password here (not only a single sign-on). */
  localLogin: boolean;
}

let asked: Promise<Me | null> | null = null;
let current: Account | null = null;
const watchers = new Set<(account: Account | null) => void>();

/** /api/v1/auth/me, fetched on the first call only; null for a stranger or a failure. */
export function whoAmI(): Promise<Me | null> {
  asked ??= api.get("/api/v1/auth/me", { loginRedirect: false }).catch(() => null);
  return asked;
}

/** Whether the visitor holds a permission ("write": may change items; "admin"), by any way
 * in (a session, a key, AUTH=off). False when the server will not say: no edit controls
 * rather than ones that fail. */
export async function may(permission: string): Promise<boolean> {
  const granted = (await whoAmI())?.permissions;
  return Array.isArray(granted) && granted.includes(permission);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * The logged-in user when they came with a browser session (a login), else null: with
 * AUTH=off or an API key nobody logged in here, so there is nobody to log out either.
 */
export function accountOf(me: Me | null): Account | null {
  const user = me?.user;
  if (me?.via !== "session" || typeof user !== "object" || user === null) return null;
  const { username, display_name: displayName, role, local_login: local } = user as Record<string, unknown>;
  if (!text(username)) return null;
  return {
    name: text(displayName) || text(username),
    username: text(username),
    displayName: text(displayName),
    role: text(role),
    localLogin: local !== false,
  };
}

/** The session's account (see accountOf), from the one shared /auth/me. */
export async function sessionAccount(): Promise<Account | null> {
  const found = accountOf(await whoAmI());
  current ??= found;
  return current;
}

/** Follow the session's account: `show` gets it once known, and again after a change
 * (a new display name on the account page). Returns the way to stop. */
export function watchAccount(show: (account: Account | null) => void): () => void {
  watchers.add(show);
  void sessionAccount().then((account) => watchers.has(show) && show(account));
  return () => watchers.delete(show);
}

/** The account changed here (PATCH /auth/me answered `user`): tell whoever shows it. */
export function accountChanged(user: Me): void {
  const found = accountOf({ user, via: "session" });
  if (!found) return;
  current = found;
  for (const show of watchers) show(found);
}

/** End this browser's session and go to the login page. */
export async function logOut(): Promise<void> {
  try {
    await api.post("/api/v1/auth/logout", { loginRedirect: false });
  } finally {
    location.href = "/login";
  }
}
