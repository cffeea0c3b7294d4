import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sessionAccount } from "./account";

let answer: Response;

beforeEach(() => {
  vi.stubGlobal("fetch", async () => answer);
  vi.stubGlobal("document", { cookie: "" });
  vi.stubGlobal("location", { pathname: "/", search: "", href: "http://127.0.0.1:8000/" });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function me(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

const alice = { username: "alice", display_name: "", role: "admin" };

describe("sessionAccount", () => {
  it("names whoever logged in with a session", async () => {
    answer = me(200, { user: alice, via: "session" });
    expect(await sessionAccount()).toEqual({ name: "alice", username: "alice", role: "admin" });
    answer = me(200, { user: { ...alice, display_name: "Alice A." }, via: "session" });
    expect((await sessionAccount())?.name).toBe("Alice A.");
  });

  it("shows nobody for a key, AUTH=off, a stranger or an odd answer", async () => {
    for (const via of ["apikey", "open"]) {
      answer = me(200, { user: alice, via });
      expect(await sessionAccount()).toBeNull();
    }
    answer = me(401, { detail: "login required" });
    expect(await sessionAccount()).toBeNull();
    answer = me(200, { user: null, via: "session" });
    expect(await sessionAccount()).toBeNull();
  });

  it("does not send a stranger to the login page", async () => {
    answer = me(401, { detail: "login required" });
    await sessionAccount();
    expect(location.href).toBe("http://127.0.0.1:8000/");
  });
});
