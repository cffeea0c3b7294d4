// Whether the visitor may use the admin dashboard: the shared header shows its link to
// admins only. Asked once per page; the dashboard itself is guarded by the server.
import { api } from "../api/client";

let asked: Promise<boolean> | null = null;

export function mayAdminister(permissions: unknown): boolean {
  return Array.isArray(permissions) && permissions.includes("admin");
}

/** True for a visitor with the admin permission (an admin's session, AUTH=off, an admin key). */
export function isAdmin(): Promise<boolean> {
  asked ??= api
    .get("/api/v1/auth/me", { loginRedirect: false })
    .then((me) => mayAdminister(me.permissions))
    .catch(() => false);
  return asked;
}
