import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi } from "../../../ipc";
import { toasts } from "../../../lib/toast.svelte";
import { EnvironmentModel } from "../environment.svelte";
import EnvironmentScreen from "../EnvironmentScreen.svelte";
import { env, fakeApi, setup as setupDeploy } from "../fakeApi";
import Actions from "./Actions.svelte";

beforeEach(() => toasts.clear());

/** An environment an hour from expiring: every extension lengthens its life. */
const soon = () => ({ ...env, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

describe("extending an environment", () => {
  it("extends by the chosen time, and says when it now expires", async () => {
    const extended = { ...env, expiresAt: "2099-01-02T00:00:00.000Z" };
    const extend = vi.fn<EnvironmentsApi["extend"]>(() => Promise.resolve(extended));
    render(EnvironmentScreen, {
      api: fakeApi({ extend, environment: () => Promise.resolve(soon()) }),
      envId: "ted1bc4",
      back: () => {},
    });

    const hours = (await screen.findByTestId("extend-hours")) as HTMLSelectElement;
    expect(hours.selectedOptions[0]?.textContent).toBe("7 days");
    expect(screen.getByTestId("extend").title).toBe("Expire 7 days from now");
    await fireEvent.change(hours, { target: { value: hours.options[1]?.value } });
    expect(screen.getByTestId("extend").title).toBe("Expire 1 day from now");
    await fireEvent.click(screen.getByTestId("extend"));

    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", 24));
    const when = new Date(extended.expiresAt).toLocaleString(undefined, {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
    await waitFor(() =>
      expect(toasts.items.map((t) => t.message)).toEqual([`ted1bc4 now expires ${when}`]),
    );
  });

  it("says nothing when the extension is refused (the error shows instead)", async () => {
    const extend = vi.fn(() => Promise.reject({ code: "CONFLICT", message: "it is permanent" }));
    render(EnvironmentScreen, { api: fakeApi({ extend }), envId: "ted1bc4", back: () => {} });
    await fireEvent.click(await screen.findByTestId("extend"));
    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", null));
    await screen.findByText("it is permanent");
    expect(toasts.items).toEqual([]);
  });
});

describe("the More menu (a narrow header)", () => {
  async function compactActions(overrides: Partial<EnvironmentsApi> = {}) {
    const model = new EnvironmentModel(
      fakeApi({ environment: () => Promise.resolve(soon()), ...overrides }),
      "ted1bc4",
      sessionStorage,
    );
    await model.load();
    if (!model.env) throw new Error("the environment did not load");
    render(Actions, { model, env: model.env, compact: true });
    return model;
  }

  it("keeps Deploy and the status in view, the other actions in the menu", async () => {
    await compactActions();
    expect(screen.getByTestId("deploy")).toBeTruthy();
    expect(screen.getByTestId("environment-status")).toBeTruthy();
    expect(screen.queryByTestId("setup")).toBeNull();
    expect(screen.queryByTestId("teardown")).toBeNull();
    const more = screen.getByRole("button", { name: "More" });
    expect(more.getAttribute("aria-haspopup")).toBe("menu");
    expect(more.getAttribute("aria-expanded")).toBe("false");
  });

  it("opens, moves with the arrow keys, and closes on Escape", async () => {
    await compactActions();
    const more = screen.getByRole("button", { name: "More" });
    await fireEvent.click(more);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    const menu = screen.getByRole("menu");
    const items = screen.getAllByRole("menuitem");
    expect(items.map((i) => i.textContent)).toEqual([
      "Pause",
      "Setup",
      "Extend by 4 hours",
      "Extend by 1 day",
      "Extend by 3 days",
      "Extend by 7 days",
      "Tear down…",
    ]);
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    await fireEvent.keyDown(menu, { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[1]);
    await fireEvent.keyDown(menu, { key: "ArrowUp" });
    await fireEvent.keyDown(menu, { key: "ArrowUp" });
    expect(document.activeElement).toBe(items.at(-1));
    await fireEvent.keyDown(menu, { key: "Home" });
    expect(document.activeElement).toBe(items[0]);

    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: "Escape" });
    expect(screen.queryByRole("menu")).toBeNull();
    expect(more.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(more);
  });

  it("closes on a click outside it", async () => {
    await compactActions();
    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    expect(screen.getByRole("menu")).toBeTruthy();
    await fireEvent.pointerDown(document.body);
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("runs the chosen item's action, and closes", async () => {
    const setup = vi.fn<EnvironmentsApi["setup"]>(() => Promise.resolve(setupDeploy));
    const extend = vi.fn<EnvironmentsApi["extend"]>(() => Promise.resolve(env));
    await compactActions({ setup, extend });

    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    await fireEvent.click(screen.getByRole("menuitem", { name: "Setup" }));
    await waitFor(() => expect(setup).toHaveBeenCalledWith("ted1bc4"));
    expect(screen.queryByRole("menu")).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    await fireEvent.click(screen.getByRole("menuitem", { name: "Extend by 1 day" }));
    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", 24));
  });

  it("asks before tearing down", async () => {
    const teardown = vi.fn<EnvironmentsApi["teardown"]>(() => Promise.resolve(setupDeploy));
    await compactActions({ teardown });
    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    await fireEvent.click(screen.getByTestId("teardown"));
    expect(screen.queryByRole("menu")).toBeNull();
    expect(screen.getByTestId("confirm-teardown-dialog")).toBeTruthy();
    expect(teardown).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId("confirm-teardown"));
    await waitFor(() => expect(teardown).toHaveBeenCalledWith("ted1bc4"));
    expect(screen.queryByTestId("confirm-teardown-dialog")).toBeNull();
  });
});

describe("extension choices", () => {
  it("offers only what lengthens the environment's life", async () => {
    const twoDays = { ...env, expiresAt: new Date(Date.now() + 48 * 3_600_000).toISOString() };
    render(EnvironmentScreen, {
      api: fakeApi({ environment: () => Promise.resolve(twoDays) }),
      envId: "ted1bc4",
      back: () => {},
    });
    const hours = (await screen.findByTestId("extend-hours")) as HTMLSelectElement;
    expect([...hours.options].map((o) => o.textContent)).toEqual(["3 days", "7 days"]);
  });
});
