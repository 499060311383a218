import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { blink } from "./blink.svelte";

describe("blink", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("flips once a second while held, and stops, undimmed, when the last holder lets go", () => {
    const first = blink.hold();
    const second = blink.hold();
    expect(blink.dim).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(blink.dim).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(blink.dim).toBe(false);
    vi.advanceTimersByTime(1000);
    first();
    first(); // a second release of the same hold changes nothing
    vi.advanceTimersByTime(1000);
    expect(blink.dim).toBe(false);
    second();
    expect(blink.dim).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
