import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { api, ApiError, buildUrl, csrfToken, problemMessage, type RequestOf, type Operation } from "./client";

interface Sent {
  url: string;
  init: RequestInit;
}

let sent: Sent[];
let answer: () => Response | Promise<Response>;
let where: { pathname: string; search: string; href: string };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

beforeEach(() => {
  sent = [];
  answer = () => json(200, { ok: true });
  where = { pathname: "/watch/3", search: "?t=5", href: "http://127.0.0.1:8000/watch/3?t=5" };
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return answer();
  });
  vi.stubGlobal("document", { cookie: "theme=x; mediashelf_csrf=abc%3D%3D; other=1" });
  vi.stubGlobal("location", where);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function failure(call: Promise<unknown>): Promise<ApiError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(err)}`);
  return err;
}

function header(n: number, name: string): string | null {
  return new Headers(sent[n]?.init.headers).get(name);
}

describe("requests", () => {
  it("fills path parameters, encodes them, and builds the query string", async () => {
    await api.get("/api/v1/items/{item_id}", { path: { item_id: 42 } });
    await api.get("/api/v1/items", { query: { tag: [1, 2], kind: "image", cursor: null, untagged: false } });
    expect(sent.map((s) => s.url)).toEqual([
      "/api/v1/items/42",
      "/api/v1/items?tag=1&tag=2&kind=image&untagged=false",
    ]);
    expect(buildUrl("/a/{name}", { name: "x/../y?z" })).toBe("/a/x%2F..%2Fy%3Fz");
    expect(() => buildUrl("/a/{name}", {})).toThrow(/missing path parameter name/);
  });

  it("sends the CSRF token on what changes state, never on a GET", async () => {
    await api.get("/api/v1/auth/me");
    await api.post("/api/v1/auth/login", { body: { username: "a", password: "b" } });
    expect(header(0, "x-csrf-token")).toBeNull();
    expect(sent[1]?.init.method).toBe("POST");
    expect(header(1, "x-csrf-token")).toBe("abc==");
    expect(header(1, "content-type")).toBe("application/json");
    expect(sent[1]?.init.body).toBe('{"username":"a","password":"b"}');
    expect(sent[1]?.init.credentials).toBe("same-origin");
  });

  it("sends no token header when there is no cookie", async () => {
    vi.stubGlobal("document", { cookie: "" });
    await api.delete("/api/v1/tags/{tag_id}", { path: { tag_id: 1 } });
    expect(header(0, "x-csrf-token")).toBeNull();
    expect(csrfToken("mediashelf_csrf=x%20y")).toBe("x y");
  });

  it("returns the parsed body, and nothing for an empty one", async () => {
    answer = () => json(200, { needs_admin: true });
    expect(await api.get("/api/v1/auth/setup")).toEqual({ needs_admin: true });
    answer = () => new Response(null, { status: 204 });
    expect(await api.post("/api/v1/auth/logout")).toBeUndefined();
  });
});

describe("errors", () => {
  it("turns {detail} into an ApiError with a readable message", async () => {
    answer = () => json(409, { detail: "the first admin exists already" });
    const err = await failure(api.post("/api/v1/auth/setup", { body: { username: "a", password: "b" } }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, detail: "the first admin exists already" });
    expect(err.message).toBe("the first admin exists already");
  });

  it("says which fields do not validate", () => {
    const detail = [
      { loc: ["body", "username"], msg: "Field required", type: "missing" },
      { loc: ["body", "password"], msg: "String should have at most 4096 characters" },
    ];
    expect(problemMessage(detail, 422)).toBe(
      "username: Field required; password: String should have at most 4096 characters",
    );
    expect(problemMessage(undefined, 502)).toBe("The request failed (HTTP 502).");
  });

  it("reads a body that is not JSON as no detail", async () => {
    answer = () => new Response("<html>Bad Gateway</html>", { status: 502 });
    const err = await failure(api.get("/api/v1/health"));
    expect(err).toMatchObject({ status: 502, detail: null, message: "The request failed (HTTP 502)." });
  });

  it("says when the server cannot be reached", async () => {
    answer = () => Promise.reject(new TypeError("Failed to fetch"));
    const err = await failure(api.get("/api/v1/health"));
    expect(err).toMatchObject({ status: 0, message: "Could not reach the server: Failed to fetch" });
  });

  it("sends a logged-out visitor to the login page, and back here after", async () => {
    answer = () => json(401, { detail: "login required" });
    const err = await failure(api.get("/api/v1/items"));
    expect(err).toMatchObject({ status: 401 });
    expect(where.href).toBe("/login?next=%2Fwatch%2F3%3Ft%3D5");
  });

  it("leaves the page alone on a 401 when asked to (a wrong password)", async () => {
    answer = () => json(401, { detail: "wrong username or password" });
    const err = await failure(
      api.post("/api/v1/auth/login", { body: { username: "a", password: "b" }, loginRedirect: false }),
    );
    expect(err.message).toBe("wrong username or password");
    expect(where.href).toBe("http://127.0.0.1:8000/watch/3?t=5");
  });
});

describe("types (checked by svelte-check, not at run time)", () => {
  it("follows the schema", () => {
    type GetItem = Operation<"/api/v1/items/{item_id}", "get">;
    expectTypeOf<RequestOf<GetItem>["path"]>().toEqualTypeOf<{ item_id: number }>();
    type Login = Operation<"/api/v1/auth/login", "post">;
    expectTypeOf<RequestOf<Login>["body"]>().toEqualTypeOf<{ username: string; password: string }>();

    const never = () => {
      // @ts-expect-error: no such path
      void api.get("/api/v1/nowhere");
      // @ts-expect-error: the login is a POST
      void api.get("/api/v1/auth/login");
      // @ts-expect-error: the path parameter is required
      void api.get("/api/v1/items/{item_id}");
      // @ts-expect-error: a string is not an item id
      void api.get("/api/v1/items/{item_id}", { path: { item_id: "3" } });
      // @ts-expect-error: the body is required
      void api.post("/api/v1/auth/login");
      // @ts-expect-error: a field the body does not have
      void api.post("/api/v1/auth/login", { body: { username: "a", password: "b", admin: true } });
      // @ts-expect-error: an unknown query parameter
      void api.get("/api/v1/items", { query: { colour: "red" } });
    };
    expect(typeof never).toBe("function");
  });
});
