import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { messageOf, scopesFor } from "./keys";

describe("scopesFor", () => {
  it("offers no key above the role", () => {
    expect(scopesFor("viewer").map((s) => s.id)).toEqual(["read"]);
    expect(scopesFor("member").map((s) => s.id)).toEqual(["read", "write"]);
    expect(scopesFor("admin").map((s) => s.id)).toEqual(["read", "write", "admin", "worker"]);
  });

  it("offers every scope when the role is not known", () => {
    expect(scopesFor(undefined)).toHaveLength(4);
    expect(scopesFor("someday")).toHaveLength(4);
  });
});

describe("messageOf", () => {
  it("reads any failure", () => {
    expect(messageOf(new ApiError(403, "the current password is wrong", "the current password is wrong"))).toBe(
      "the current password is wrong",
    );
    expect(messageOf(new Error("offline"))).toBe("offline");
    expect(messageOf("odd")).toBe("odd");
  });
});
