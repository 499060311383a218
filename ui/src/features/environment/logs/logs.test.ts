import { describe, expect, it } from "vitest";
import {
  clock,
  level,
  logFileName,
  logText,
  logTitle,
  matches,
  noMatch,
  plain,
  segments,
  visibleRange,
} from "./logs";

const line = (text: string, stderr = false, at = "") => ({ seq: 1, at, stderr, line: text });

describe("the log view", () => {
  it("judges levels from words and streams", () => {
    expect(level(line("GET / 200"))).toBe("info");
    expect(level(line("WARNING: disk almost full"))).toBe("warning");
    expect(level(line("panic: nil map"))).toBe("error");
  });

  it("judges a stderr line by its words, not its stream", () => {
    expect(level(line("Compiling web v0.1.0", true))).toBe("info");
    expect(level(line("warning: unused variable", true))).toBe("warning");
    expect(level(line("\u001b[31mError:\u001b[0m connection refused", true))).toBe("error");
    expect(matches(line("Compiling web v0.1.0", true), "", "warnings")).toBe(false);
  });

  it("filters the standard error stream alone", () => {
    expect(matches(line("Compiling web", true), "", "stderr")).toBe(true);
    expect(matches(line("ERROR on stdout"), "", "stderr")).toBe(false);
    expect(matches(line("Compiling web", true), "compiling", "stderr")).toBe(true);
    expect(matches(line("Compiling web", true), "linking", "stderr")).toBe(false);
  });

  it("searches without ANSI codes and filters by level", () => {
    const red = line("\u001b[31mERROR\u001b[0m cannot connect to db");
    expect(plain(red.line)).toBe("ERROR cannot connect to db");
    expect(matches(red, "error cannot", "all")).toBe(true);
    expect(matches(red, "", "errors")).toBe(true);
    expect(matches(line("ready"), "", "warnings")).toBe(false);
    expect(matches(line("ready"), "READY", "all")).toBe(true);
  });

  it("says why no line is shown", () => {
    expect(noMatch("timeout", "all")).toBe("No line matches “timeout”.");
    expect(noMatch("timeout", "errors")).toBe("No line matches “timeout” among errors.");
    expect(noMatch("", "errors")).toBe("No errors.");
    expect(noMatch("", "stderr")).toBe("Nothing on standard error.");
  });

  it("shows a line's time as the local clock, to the millisecond", () => {
    // Built from local fields, so the test reads the same in every time zone.
    const at = new Date(2026, 10, 26, 7, 5, 9, 42).toISOString();
    expect(clock(at)).toBe("07:05:09.042");
    expect(clock(new Date(2026, 10, 26, 23, 59, 59, 999).toISOString())).toBe("23:59:59.999");
    expect(clock("")).toBe("");
    expect(clock("not a time")).toBe("");
  });

  it("gives the lines as plain text, with or without their times", () => {
    const at = new Date(2026, 10, 26, 7, 5, 9, 42).toISOString();
    const lines = [line("\u001b[32mok\u001b[0m started", false, at), line("slow query", true, at)];
    expect(logText(lines, false)).toBe("ok started\nslow query\n");
    expect(logText(lines, true)).toBe("07:05:09.042 ok started\n07:05:09.042 slow query\n");
    expect(logText([], true)).toBe("");
  });

  it("names a log as a reader says it", () => {
    expect(logTitle("ted1bc4/services.web")).toBe("Service web");
    expect(logTitle("ted1bc4/12/jobs.migrate")).toBe("Job migrate · deploy #12");
    expect(logTitle("builds/3/web")).toBe("Build web · build #3");
    expect(logTitle("something/else")).toBe("something/else");
    expect(logFileName("Job migrate · deploy #12", new Date(2026, 10, 6, 7, 5))).toBe(
      "job-migrate-deploy-12-2026-11-06.log",
    );
    expect(logFileName("", new Date(2026, 0, 1))).toBe("log-2026-01-01.log");
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
