import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { LogLineView } from "../../../ipc";
import LogView from "./LogView.svelte";

function many(count: number): LogLineView[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    at: "2026-11-26T06:00:00.000Z",
    stderr: i % 1000 === 999,
    line: i % 1000 === 999 ? `ERROR request ${i} failed` : `GET /item/${i} 200`,
  }));
}

describe("LogView", () => {
  it("draws a few dozen rows of a million lines", () => {
    render(LogView, { lines: many(1_000_000), dropped: 0, resource: "ted1bc4/services.web" });

    const view = screen.getByTestId("log-lines");
    expect(view.querySelectorAll(".row").length).toBeLessThan(60);
    expect(screen.getByTestId("log-count").textContent).toContain("1000000 lines");
  });

  it("searches and filters by level", async () => {
    render(LogView, { lines: many(5000), dropped: 12, resource: "ted1bc4/services.web" });

    await fireEvent.change(screen.getByTestId("log-level"), { target: { value: "errors" } });
    expect(screen.getByTestId("log-count").textContent).toContain("5 of 5000 lines");
    expect(screen.getByTestId("log-count").textContent).toContain(" · 12 older lines dropped");

    await fireEvent.input(screen.getByTestId("log-search"), { target: { value: "request 1999" } });
    expect(screen.getByTestId("log-count").textContent).toContain("1 of 5000 lines");
    expect(screen.getByTestId("log-lines").textContent).toContain("ERROR request 1999 failed");
  });

  it("focuses the search box on /", async () => {
    render(LogView, { lines: many(10), dropped: 0, resource: "ted1bc4/services.web" });

    await fireEvent.keyDown(window, { key: "/" });

    expect(document.activeElement).toBe(screen.getByTestId("log-search"));
  });
});
