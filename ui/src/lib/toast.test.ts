import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Toast from "../components/Toast.svelte";
import { TOAST_MS, toast, toasts } from "./toast.svelte";

beforeEach(() => {
  vi.useFakeTimers();
  toasts.clear();
});
afterEach(() => vi.useRealTimers());

describe("toasts", () => {
  it("show in the window's status region, and go by themselves", async () => {
    render(Toast);
    toast("Added app shop");
    toast("Added app blog, 2 warnings", "warn");
    await vi.advanceTimersByTimeAsync(0);
    const region = screen.getByTestId("toasts");
    expect(region.getAttribute("role")).toBe("status");
    expect(screen.getAllByTestId("toast").map((t) => t.textContent)).toEqual([
      expect.stringContaining("Added app shop"),
      expect.stringContaining("Added app blog, 2 warnings"),
    ]);

    await vi.advanceTimersByTimeAsync(TOAST_MS);
    expect(screen.queryAllByTestId("toast")).toHaveLength(0);
  });

  it("go sooner when dismissed, and only the newest few stay", async () => {
    render(Toast);
    for (const n of [1, 2, 3, 4]) toast(`notice ${n}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(toasts.items.map((t) => t.message)).toEqual(["notice 2", "notice 3", "notice 4"]);

    await fireEvent.click(screen.getAllByRole("button", { name: "Dismiss" })[0] as HTMLElement);
    expect(toasts.items.map((t) => t.message)).toEqual(["notice 3", "notice 4"]);
  });
});
