// Whether the visitor may use the admin dashboard: the shared header shows its link to
// admins only. From the page's one /api/v1/auth/me; the dashboard itself is guarded by
// the server.
import { whoAmI } from "../account";

export function mayAdminister(permissions: unknown): boolean {
  return Array.isArray(permissions) && permissions.includes("admin");
}

/** True for a visitor with the admin permission (an admin's session, AUTH=off, an admin key). */
export async function isAdmin(): Promise<boolean> {
  return mayAdminister((await whoAmI())?.permissions);
}
