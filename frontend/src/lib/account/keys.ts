// What the API-key card (KeysCard.svelte: the dashboard's, everyone's keys; the account
// page's, your own) needs besides the API: the scopes a role may hold, and how to report.
export type Scope = "read" | "write" | "admin" | "worker";

export const SCOPES: { id: Scope; about: string }[] = [
  { id: "read", about: "browse and download" },
  { id: "write", about: "also tag, rate, organise" },
  { id: "admin", about: "everything an admin can do" },
  { id: "worker", about: "a transcode worker: no browsing" },
];

// The server's rule (auth/access.py, scope_fits): no key outranks its owner's role.
const ROLE_SCOPES: Record<string, Scope[]> = {
  viewer: ["read"],
  member: ["read", "write"],
  admin: ["read", "write", "admin", "worker"],
};

/** The scopes a key of someone with `role` may have (all of them when the role is not known:
 * the server refuses what does not fit, with a message). */
export function scopesFor(role: string | undefined): typeof SCOPES {
  const allowed = role === undefined ? undefined : ROLE_SCOPES[role];
  return allowed ? SCOPES.filter((s) => allowed.includes(s.id)) : SCOPES;
}

/** Where a card reports: a passing notice, or a failed request (`doing`: what failed). */
export interface Reporter {
  notify(text: string, tone?: "info" | "ok" | "warn" | "error"): void;
  fail(err: unknown, doing?: string): void;
}

/** A readable sentence for any failure. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err); // an ApiError's is fit to show
}
