import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";

// The screens behind the window ask the app, which never answers here: only the shell is tested.
vi.mock("./ipc", async (original) => {
  const silent = new Proxy({}, { get: () => () => new Promise(() => {}) });
  return {
    ...(await original<typeof import("./ipc")>()),
    environmentsApi: silent,
    systemApi: silent,
  };
});

const wide = window.innerWidth;

function resize(width: number) {
  window.innerWidth = width;
  window.dispatchEvent(new Event("resize"));
}

beforeEach(() => {
  localStorage.clear();
  window.location.hash = "";
  resize(1200);
});
afterEach(() => resize(wide));

describe("the sidebar", () => {
  it("collapses to a rail of icons, and remembers it", async () => {
    const { unmount } = render(App);
    const toggle = screen.getByRole("button", { name: "Collapse the sidebar" });
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(screen.getByTestId("nav-apps").title).toBe("");

    await fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(toggle.getAttribute("aria-label")).toBe("Expand the sidebar");
    expect(screen.getByTestId("sidebar").classList.contains("collapsed")).toBe(true);
    // Each entry keeps its name, and shows it as its title.
    expect(screen.getByRole("link", { name: "Apps" })).toBe(screen.getByTestId("nav-apps"));
    expect(screen.getByTestId("nav-apps").title).toBe("Apps");
    expect(localStorage.getItem("stagecraft.sidebar")).toBe("collapsed");

    unmount();
    render(App);
    expect(screen.getByRole("button", { name: "Expand the sidebar" })).toBeTruthy();
    expect(screen.getByTestId("sidebar").classList.contains("collapsed")).toBe(true);
  });

  it("collapses by itself in a narrow window, unless the user expanded it", async () => {
    render(App);
    const sidebar = screen.getByTestId("sidebar");
    expect(sidebar.classList.contains("collapsed")).toBe(false);
    resize(800);
    await waitFor(() => expect(sidebar.classList.contains("collapsed")).toBe(true));
    resize(1000);
    await waitFor(() => expect(sidebar.classList.contains("collapsed")).toBe(false));

    resize(800);
    await fireEvent.click(await screen.findByRole("button", { name: "Expand the sidebar" }));
    expect(sidebar.classList.contains("collapsed")).toBe(false);
    expect(localStorage.getItem("stagecraft.sidebar")).toBe("expanded");
    resize(700);
    resize(800);
    await Promise.resolve();
    expect(sidebar.classList.contains("collapsed")).toBe(false);
  });
});

describe("keyboard shortcuts", () => {
  it("lists them on ?, and Escape closes the list", async () => {
    render(App);
    expect(screen.queryByTestId("shortcuts-dialog")).toBeNull();
    await fireEvent.keyDown(document.body, { key: "?", shiftKey: true });
    const dialog = await screen.findByTestId("shortcuts-dialog");
    expect(dialog.textContent).toContain("Go to Apps");
    expect(screen.getAllByTestId("shortcut").length).toBe(8);

    await fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).toBeNull());
  });

  it("opens the list from the sidebar too", async () => {
    render(App);
    await fireEvent.click(screen.getByRole("button", { name: "Keyboard shortcuts (?)" }));
    expect(await screen.findByTestId("shortcuts-dialog")).toBeTruthy();
  });

  it("leaves ? to a field being typed in", async () => {
    render(App);
    const field = document.createElement("input");
    document.body.append(field);
    await fireEvent.keyDown(field, { key: "?", shiftKey: true });
    expect(screen.queryByTestId("shortcuts-dialog")).toBeNull();
    field.remove();
  });

  it("goes to a screen on g then e, a or s", async () => {
    render(App);
    await fireEvent.keyDown(document.body, { key: "g" });
    await fireEvent.keyDown(document.body, { key: "s" });
    expect(window.location.hash).toBe("#system");
    await waitFor(() =>
      expect(screen.getByTestId("nav-system").getAttribute("aria-current")).toBe("page"),
    );
    await fireEvent.keyDown(document.body, { key: "g" });
    await fireEvent.keyDown(document.body, { key: "a" });
    expect(window.location.hash).toBe("#apps");
    // Without the g, a letter is only a letter.
    await fireEvent.keyDown(document.body, { key: "e" });
    expect(window.location.hash).toBe("#apps");
  });
});
