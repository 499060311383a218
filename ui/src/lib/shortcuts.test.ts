import { afterEach, describe, expect, it } from "vitest";
import {
  goSequence,
  ignoresKey,
  isMac,
  isTyping,
  SEQUENCE_MS,
  shortcuts,
  tabIndex,
  type GoState,
  type Section,
} from "./shortcuts";

afterEach(() => document.body.replaceChildren());

/** A keydown on `target`, as the window sees it. */
function keyOn(target: EventTarget, init: KeyboardEventInit = { key: "g" }): KeyboardEvent {
  let seen: KeyboardEvent | undefined;
  const listen = (event: Event) => (seen = event as KeyboardEvent);
  window.addEventListener("keydown", listen);
  target.dispatchEvent(new KeyboardEvent("keydown", { bubbles: true, ...init }));
  window.removeEventListener("keydown", listen);
  if (!seen) throw new Error("the key did not reach the window");
  return seen;
}

function mount(html: string): HTMLElement {
  document.body.innerHTML = html;
  const target = document.querySelector<HTMLElement>("[data-target]");
  if (!target) throw new Error("no [data-target]");
  return target;
}

describe("the typing rule", () => {
  it("leaves keys to text fields, lists and editors", () => {
    for (const html of [
      "<input data-target />",
      "<input type='search' data-target />",
      "<textarea data-target></textarea>",
      "<select data-target><option>a</option></select>",
      "<div contenteditable='true'><p><span data-target>text</span></p></div>",
      "<div contenteditable><b data-target>x</b></div>",
    ]) {
      expect(isTyping(keyOn(mount(html))), html).toBe(true);
    }
  });

  it("takes keys anywhere else, and on fields that take no text", () => {
    for (const html of [
      "<button data-target>Deploy</button>",
      "<div data-target>text</div>",
      "<input type='checkbox' data-target />",
      "<div contenteditable='false'><span data-target>read-only</span></div>",
    ]) {
      expect(isTyping(keyOn(mount(html))), html).toBe(false);
    }
    expect(isTyping(keyOn(window))).toBe(false);
  });

  it("keeps one-key shortcuts off keys held with Ctrl, ⌘ or Alt, and off dialogs", () => {
    const button = mount("<button data-target>x</button>");
    expect(ignoresKey(keyOn(button, { key: "g" }))).toBe(false);
    expect(ignoresKey(keyOn(button, { key: "?", shiftKey: true }))).toBe(false);
    expect(ignoresKey(keyOn(button, { key: "g", ctrlKey: true }))).toBe(true);
    expect(ignoresKey(keyOn(button, { key: "g", metaKey: true }))).toBe(true);
    expect(ignoresKey(keyOn(button, { key: "g", altKey: true }))).toBe(true);
    expect(ignoresKey(keyOn(mount("<input data-target />")))).toBe(true);
    expect(ignoresKey(keyOn(mount("<dialog open><button data-target>x</button></dialog>")))).toBe(
      true,
    );
  });
});

describe("the g sequences", () => {
  /** Runs keys pressed at the given times (ms); gives where each one went. */
  function press(keys: [string, number][]): (Section | null)[] {
    let state: GoState = { since: null };
    return keys.map(([key, at]) => {
      const step = goSequence(state, key, at);
      state = step.state;
      return step.go;
    });
  }

  it("goes to Environments, Apps and System", () => {
    expect(
      press([
        ["g", 0],
        ["e", 100],
      ]),
    ).toEqual([null, "environments"]);
    expect(
      press([
        ["g", 0],
        ["a", 100],
      ]),
    ).toEqual([null, "apps"]);
    expect(
      press([
        ["g", 0],
        ["s", SEQUENCE_MS],
      ]),
    ).toEqual([null, "system"]);
  });

  it("forgets the g after a second, or after another key", () => {
    expect(
      press([
        ["g", 0],
        ["e", SEQUENCE_MS + 1],
      ]),
    ).toEqual([null, null]);
    expect(
      press([
        ["g", 0],
        ["x", 10],
        ["e", 20],
      ]),
    ).toEqual([null, null, null]);
    expect(press([["e", 0]])).toEqual([null]);
  });

  it("ends each sequence: a second letter needs a new g; a second g starts again", () => {
    expect(
      press([
        ["g", 0],
        ["a", 10],
        ["s", 20],
      ]),
    ).toEqual([null, "apps", null]);
    expect(
      press([
        ["g", 0],
        ["g", 900],
        ["e", 1800],
      ]),
    ).toEqual([null, null, "environments"]);
  });
});

describe("the list", () => {
  it("says ⌘ on macOS and Ctrl elsewhere", () => {
    expect(isMac("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit")).toBe(true);
    expect(isMac("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit")).toBe(false);
    const keys = (mac: boolean) => shortcuts(mac).map((s) => s.keys.join(" "));
    expect(keys(true)).toContain("⌘+Enter");
    expect(keys(false)).toEqual(["?", "g e", "g a", "g s", "Ctrl+Enter", "1–5", "/", "Esc"]);
  });

  it("maps 1 to 5 to the tabs, and nothing else", () => {
    expect(tabIndex("1", 5)).toBe(0);
    expect(tabIndex("5", 5)).toBe(4);
    expect(tabIndex("6", 5)).toBeNull();
    expect(tabIndex("0", 5)).toBeNull();
    expect(tabIndex("g", 5)).toBeNull();
    expect(tabIndex("12", 5)).toBeNull();
  });
});
