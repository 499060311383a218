import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import EnvironmentScreen from "./EnvironmentScreen.svelte";
import { fakeApi } from "./fakeApi";

beforeEach(() => sessionStorage.clear());

function selected(): string | undefined {
  return screen
    .getAllByRole("tab")
    .find((tab) => tab.getAttribute("aria-selected") === "true")
    ?.getAttribute("data-testid")
    ?.replace("tab-", "");
}

describe("the number keys on an environment's screen", () => {
  it("switch its tabs, 1 to 5", async () => {
    render(EnvironmentScreen, { api: fakeApi(), envId: "ted1bc4", back: () => {} });
    await screen.findByTestId("environment-status");
    await fireEvent.keyDown(document.body, { key: "2" });
    await waitFor(() => expect(selected()).toBe("builds"));
    await fireEvent.keyDown(document.body, { key: "3" });
    await waitFor(() => expect(selected()).toBe("logs"));
    await fireEvent.keyDown(document.body, { key: "1" });
    await waitFor(() => expect(selected()).toBe("timeline"));
    await fireEvent.keyDown(document.body, { key: "9" });
    expect(selected()).toBe("timeline");
  });

  it("are typed, not obeyed, in a field, or held with Ctrl", async () => {
    render(EnvironmentScreen, { api: fakeApi(), envId: "ted1bc4", back: () => {} });
    const hours = await screen.findByTestId("extend-hours");
    await fireEvent.keyDown(hours, { key: "2" });
    await fireEvent.keyDown(document.body, { key: "2", ctrlKey: true });
    expect(selected()).toBe("timeline");
  });
});
