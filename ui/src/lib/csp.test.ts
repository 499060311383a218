import { afterEach, describe, expect, it } from "vitest";
import { styleNonce, withStyleNonce } from "./csp";

describe("the page's style nonce", () => {
  afterEach(() => document.head.querySelectorAll("style").forEach((s) => s.remove()));

  it("is given to the style elements made while a library opens, and only then", () => {
    const own = document.createElement("style");
    own.setAttribute("nonce", "abc123");
    document.head.append(own);
    expect(styleNonce()).toBe("abc123");

    const [made, div] = withStyleNonce(() => [
      document.createElement("style"),
      document.createElement("div"),
    ]);
    expect(made.nonce).toBe("abc123");
    expect(div.getAttribute("nonce")).toBeNull();
    expect(document.createElement("style").nonce).toBe("");
    expect(Object.getOwnPropertyDescriptor(document, "createElement")).toBeUndefined();
  });

  it("is not there outside the app: the work runs as it is", () => {
    expect(styleNonce()).toBeUndefined();
    expect(withStyleNonce(() => document.createElement("style").nonce)).toBe("");
  });
});
