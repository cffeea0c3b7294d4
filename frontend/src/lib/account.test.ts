import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { accountOf } from "./account";

let answer: () => Response;
let asked = 0;

beforeEach(() => {
  asked = 0;
  vi.resetModules(); // a fresh page: nothing asked yet
  vi.stubGlobal("fetch", async () => {
    asked += 1;
    return answer();
  });
  vi.stubGlobal("document", { cookie: "" });
  vi.stubGlobal("location", { pathname: "/", search: "", href: "http://127.0.0.1:8000/" });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function me(status: number, body: unknown): () => Response {
  return () => new Response(JSON.stringify(body), { status });
}

const alice = { username: "alice", display_name: "", role: "admin" };

describe("accountOf", () => {
  it("names whoever logged in with a session", () => {
    expect(accountOf({ user: alice, via: "session" })).toEqual({
      name: "alice",
      username: "alice",
      displayName: "",
      role: "admin",
      localLogin: true,
    });
    const named = accountOf({ user: { ...alice, display_name: "Alice A.", local_login: false }, via: "session" });
    expect(named?.name).toBe("Alice A.");
    expect(named?.localLogin).toBe(false);
  });

  it("shows nobody for a key, AUTH=off, a stranger or an odd answer", () => {
    for (const via of ["apikey", "open"]) expect(accountOf({ user: alice, via })).toBeNull();
    expect(accountOf(null)).toBeNull();
    expect(accountOf({ user: null, via: "session" })).toBeNull();
    expect(accountOf({ user: { ...alice, username: 7 }, via: "session" })).toBeNull();
  });
});

describe("one /auth/me per page", () => {
  it("is asked once, however many ask", async () => {
    answer = me(200, { user: alice, via: "session", permissions: ["admin", "read"] });
    const { sessionAccount, whoAmI } = await import("./account");
    const { isAdmin } = await import("./dashboard/admin");
    const [account, admin] = await Promise.all([sessionAccount(), isAdmin(), whoAmI()]);
    expect(account?.username).toBe("alice");
    expect(admin).toBe(true);
    expect(await isAdmin()).toBe(true);
    expect(asked).toBe(1);
  });

  it("does not send a stranger to the login page", async () => {
    answer = me(401, { detail: "login required" });
    const { sessionAccount } = await import("./account");
    const { isAdmin } = await import("./dashboard/admin");
    expect(await sessionAccount()).toBeNull();
    expect(await isAdmin()).toBe(false);
    expect(location.href).toBe("http://127.0.0.1:8000/");
    expect(asked).toBe(1);
  });

  it("tells the watchers of a new name", async () => {
    answer = me(200, { user: alice, via: "session" });
    const { accountChanged, watchAccount } = await import("./account");
    const seen: (string | undefined)[] = [];
    const stop = watchAccount((account) => seen.push(account?.name));
    await vi.waitFor(() => expect(seen).toEqual(["alice"]));
    accountChanged({ ...alice, display_name: "Alice A." });
    expect(seen).toEqual(["alice", "Alice A."]);
    stop();
    accountChanged({ ...alice, display_name: "Al" });
    expect(seen).toHaveLength(2);
  });
});
