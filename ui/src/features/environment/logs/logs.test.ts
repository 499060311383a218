import { describe, expect, it } from "vitest";
import { level, matches, plain, segments, visibleRange } from "./logs";

const line = (text: string, stderr = false) => ({ seq: 1, at: "", stderr, line: text });

describe("the log view", () => {
  it("judges levels from words and streams", () => {
    expect(level(line("GET / 200"))).toBe("info");
    expect(level(line("WARNING: disk almost full"))).toBe("warning");
    expect(level(line("connection refused", true))).toBe("warning");
    expect(level(line("panic: nil map"))).toBe("error");
  });

  it("searches without ANSI codes and filters by level", () => {
    const red = line("\u001b[31mERROR\u001b[0m cannot connect to db");
    expect(plain(red.line)).toBe("ERROR cannot connect to db");
    expect(matches(red, "error cannot", "all")).toBe(true);
    expect(matches(red, "", "errors")).toBe(true);
    expect(matches(line("ready"), "", "warnings")).toBe(false);
    expect(matches(line("ready"), "READY", "all")).toBe(true);
  });

  it("colours runs without reading them as HTML", () => {
    expect(segments("plain <b>text</b>")).toEqual([{ text: "plain <b>text</b>", className: "" }]);
    expect(segments("\u001b[1;32mok\u001b[0m done")).toEqual([
      { text: "ok", className: "ansi-green-fg ansi-bold" },
      { text: " done", className: "" },
    ]);
  });

  it("draws only the rows in view, with some to spare", () => {
    expect(visibleRange(0, 360, 18, 1_000_000)).toEqual({ start: 0, end: 30 });
    expect(visibleRange(18_000, 360, 18, 1_000_000)).toEqual({ start: 990, end: 1030 });
    expect(visibleRange(18_000, 360, 18, 1005)).toEqual({ start: 990, end: 1005 });
  });
});
