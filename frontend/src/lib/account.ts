// Who is logged in, for the header's account corner.
import { api } from "./api/client";

export interface Account {
  /** What the corner shows: the display name, else the username. */
  name: string;
  username: string;
  role: string;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * The logged-in user when they came with a browser session (a login), else null: with
 * AUTH=off or an API key nobody logged in here, so there is nobody to log out either.
 * /api/v1/auth/me declares no response model, so its answer is read with care.
 */
export async function sessionAccount(): Promise<Account | null> {
  let me: Record<string, unknown>;
  try {
    me = await api.get("/api/v1/auth/me", { loginRedirect: false });
  } catch {
    return null;
  }
  const user = me.user;
  if (me.via !== "session" || typeof user !== "object" || user === null) return null;
  const { username, display_name: displayName, role } = user as Record<string, unknown>;
  if (!text(username)) return null;
  return { name: text(displayName) || text(username), username: text(username), role: text(role) };
}

/** End this browser's session and go to the login page. */
export async function logOut(): Promise<void> {
  try {
    await api.post("/api/v1/auth/logout", { loginRedirect: false });
  } finally {
    location.href = "/login";
  }
}
