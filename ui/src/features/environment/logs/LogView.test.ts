import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
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

  it("marks a stderr line quietly and paints only error lines as errors", () => {
    const at = "2026-11-26T06:00:00.000Z";
    render(LogView, {
      lines: [
        { seq: 1, at, stderr: true, line: "Compiling web v0.1.0" },
        { seq: 2, at, stderr: false, line: "ERROR cannot connect" },
      ],
      dropped: 0,
      resource: "ted1bc4/services.web",
    });

    const stderr = row(0);
    const error = row(1);
    expect(stderr.querySelector("[title='standard error']")).not.toBeNull();
    expect(stderr.classList.contains("error")).toBe(false);
    expect(error.classList.contains("error")).toBe(true);
    expect(error.querySelector("[title='standard error']")).toBeNull();
  });

  it("filters standard error alone", async () => {
    render(LogView, { lines: many(5000), dropped: 0, resource: "ted1bc4/services.web" });

    await fireEvent.change(screen.getByTestId("log-level"), { target: { value: "stderr" } });

    expect(screen.getByTestId("log-count").textContent).toContain("5 of 5000 lines");
  });

  it("titles the log as a reader says it, keeping its id at hand", () => {
    render(LogView, { lines: [], dropped: 0, resource: "ted1bc4/12/jobs.migrate" });

    const title = screen.getByTestId("log-title");
    expect(title.textContent).toBe("Job migrate · deploy #12");
    expect(title.getAttribute("title")).toBe("ted1bc4/12/jobs.migrate");
    expect(screen.getByTestId("log-lines").textContent).toContain("No lines yet.");
  });

  it("says when no line matches, and clears the filters", async () => {
    render(LogView, { lines: many(10), dropped: 0, resource: "ted1bc4/services.web" });

    await fireEvent.input(screen.getByTestId("log-search"), { target: { value: "teapot" } });
    expect(screen.getByTestId("log-empty").textContent).toContain("No line matches “teapot”");
    expect(screen.getByTestId("log-lines").textContent).not.toContain("No lines yet.");

    await fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(screen.queryByTestId("log-empty")).toBeNull();
    expect((screen.getByTestId("log-search") as HTMLInputElement).value).toBe("");
    expect(screen.getByTestId("log-count").textContent).toBe("10 lines");
  });

  it("wraps the newest lines, saying how many earlier ones it hides", async () => {
    render(LogView, { lines: many(2500), dropped: 0, resource: "ted1bc4/services.web" });

    await fireEvent.click(screen.getByTestId("log-wrap"));
    expect(rows().length).toBe(2000);
    expect(row(0).textContent).toContain("GET /item/500 200");
    expect(screen.getByTestId("log-hidden").textContent).toContain(
      "500 lines before these are hidden: turn Wrap off to see all.",
    );

    await fireEvent.click(screen.getByTestId("log-wrap"));
    expect(rows().length).toBeLessThan(60);
    expect(screen.queryByTestId("log-hidden")).toBeNull();
  });

  it("shows each line's local time until Times is turned off", async () => {
    const at = new Date(2026, 10, 26, 7, 5, 9, 42).toISOString();
    render(LogView, {
      lines: [{ seq: 1, at, stderr: false, line: "ready" }],
      dropped: 0,
      resource: "ted1bc4/services.web",
    });

    expect(row(0).querySelector(".time")?.textContent).toBe("07:05:09.042");

    await fireEvent.click(screen.getByTestId("log-times"));
    expect(row(0).querySelector(".time")).toBeNull();
    expect(row(0).textContent).toBe("ready");
  });

  describe("copying", () => {
    afterEach(() => {
      Reflect.deleteProperty(navigator, "clipboard");
    });

    function clipboard(writeText: (text: string) => Promise<void>) {
      Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    }

    it("copies the lines shown as plain text", async () => {
      const writeText = vi.fn(() => Promise.resolve());
      clipboard(writeText);
      render(LogView, { lines: many(3000), dropped: 0, resource: "ted1bc4/services.web" });
      await fireEvent.click(screen.getByTestId("log-times"));
      await fireEvent.change(screen.getByTestId("log-level"), { target: { value: "errors" } });

      await fireEvent.click(screen.getByRole("button", { name: "Copy" }));

      expect(writeText).toHaveBeenCalledWith(
        "ERROR request 999 failed\nERROR request 1999 failed\nERROR request 2999 failed\n",
      );
      await vi.waitFor(() =>
        expect(screen.getByTestId("log-note").textContent).toBe("Copied 3 lines"),
      );
    });

    it("says when the clipboard refuses", async () => {
      clipboard(() => Promise.reject(new Error("not allowed")));
      render(LogView, { lines: many(3), dropped: 0, resource: "ted1bc4/services.web" });

      await fireEvent.click(screen.getByRole("button", { name: "Copy" }));

      await vi.waitFor(() =>
        expect(screen.getByTestId("log-note").textContent).toBe("Could not copy: not allowed"),
      );
    });
  });
});

function row(i: number): HTMLElement {
  const found = rows()[i];
  if (!found) throw new Error(`no row ${i}`);
  return found;
}

function rows(): HTMLElement[] {
  return [...screen.getByTestId("log-lines").querySelectorAll<HTMLElement>(".row")];
}

describe("saving a log", () => {
  it("saves the lines shown where the user says, and says where", async () => {
    const save = vi.fn<(name: string, text: string) => Promise<string | null>>(() =>
      Promise.resolve("/home/me/web.log"),
    );
    render(LogView, { lines: many(3), dropped: 0, resource: "ted1bc4/services.web", save });
    await fireEvent.click(screen.getByText("Download"));
    expect(save).toHaveBeenCalledTimes(1);
    const [name, text] = save.mock.calls[0] ?? ["", ""];
    expect(name).toMatch(/\.log$/);
    expect(text.split("\n").filter(Boolean)).toHaveLength(3);
    expect((await screen.findByTestId("log-note")).textContent).toContain("/home/me/web.log");
  });

  it("says nothing when the dialog is cancelled, and why when saving fails", async () => {
    const save = vi.fn(() => Promise.reject(new Error("disk full")));
    render(LogView, { lines: many(3), dropped: 0, resource: "ted1bc4/services.web", save });
    await fireEvent.click(screen.getByText("Download"));
    expect((await screen.findByTestId("log-note")).textContent).toContain("disk full");
  });
});
