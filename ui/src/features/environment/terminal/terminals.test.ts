import { describe, expect, it } from "vitest";
import { endLine, outputBytes, Terminals } from "./terminals.svelte";

describe("the open terminals", () => {
  it("open several, in one service or another, and show the newest", () => {
    const terminals = new Terminals();
    terminals.open("web");
    terminals.open("worker");
    terminals.open("web");
    expect(terminals.list.map((t) => terminals.label(t))).toEqual(["web", "worker", "web (2)"]);
    expect(terminals.active).toBe(3);
  });

  it("show the one beside a closed one, and nothing once all are closed", () => {
    const terminals = new Terminals();
    terminals.open("web");
    terminals.open("worker");
    terminals.open("db");
    terminals.active = 2;
    terminals.close(2);
    expect(terminals.active).toBe(3);
    terminals.close(3);
    expect(terminals.active).toBe(1);
    terminals.close(1);
    expect(terminals.active).toBeUndefined();
    expect(terminals.list).toEqual([]);
    // Closing one closed already changes nothing.
    terminals.close(1);
    expect(terminals.list).toEqual([]);
  });
});

describe("a terminal's messages", () => {
  it("carry bytes, UTF-8 split anywhere, as base64", () => {
    const bytes = new TextEncoder().encode("héllo ✓");
    const data = btoa(String.fromCharCode(...bytes));
    expect(Array.from(outputBytes({ kind: "output", data }))).toEqual(Array.from(bytes));
  });

  it("say how the shell ended", () => {
    expect(endLine({ kind: "exit", code: 0, error: null })).toBe("The shell exited with code 0.");
    expect(endLine({ kind: "exit", code: null, error: null })).toBe("The shell ended.");
    expect(endLine({ kind: "exit", code: null, error: "the engine went away" })).toBe(
      "The shell broke off: the engine went away",
    );
  });
});
