import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi } from "../../ipc";
import EnvironmentsScreen from "./EnvironmentsScreen.svelte";

function api(pickFolder: () => Promise<string | null>): EnvironmentsApi {
  const unused = () => Promise.reject(new Error("unused"));
  return {
    apps: () => Promise.resolve([]),
    addApp: unused,
    pickFolder,
    environments: () => Promise.resolve([]),
    createEnvironment: unused,
    environment: unused,
    nextDeploy: unused,
    deploy: unused,
    teardown: unused,
    timeline: unused,
    deployDetail: unused,
    logPage: unused,
    builds: unused,
    compareBuilds: unused,
    deployBuild: unused,
    configHistory: unused,
    saveConfig: unused,
    variables: unused,
  };
}

describe("adding an app", () => {
  it("fills the folder from the platform's dialog, and keeps it when the dialog is cancelled", async () => {
    const pick = vi
      .fn<() => Promise<string | null>>()
      .mockResolvedValueOnce("/home/dev/src/shop")
      .mockResolvedValueOnce(null);
    render(EnvironmentsScreen, { api: api(pick), open: () => {} });
    const input = (await screen.findByTestId("app-path")) as HTMLInputElement;

    await fireEvent.click(screen.getByTestId("choose-folder"));
    await waitFor(() => expect(input.value).toBe("/home/dev/src/shop"));
    expect((screen.getByTestId("add-app") as HTMLButtonElement).disabled).toBe(false);

    await fireEvent.click(screen.getByTestId("choose-folder"));
    await waitFor(() => expect(pick).toHaveBeenCalledTimes(2));
    expect(input.value).toBe("/home/dev/src/shop");
  });
});
