import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { AppView, EnvironmentsApi, RuntimeChoice } from "../../../ipc";
import RegistryPanel from "./RegistryPanel.svelte";

const shop: AppView = {
  name: "shop",
  repoPath: "/home/dev/src/shop",
  trackingBranch: "main",
  autoDeploy: false,
  imageRegistry: "registry.example.com/team",
  shareRegistryLogin: false,
  gitops: true,
};

const runtimes: RuntimeChoice[] = [
  { name: "docker", label: "Docker", available: true, note: null, needsRegistry: false },
  {
    name: "kube:prod",
    label: "Kubernetes: prod",
    available: true,
    note: "via the app's registry",
    needsRegistry: true,
  },
];

function api(overrides: Partial<EnvironmentsApi>): EnvironmentsApi {
  return {
    apps: () => Promise.resolve([shop]),
    runtimeChoices: () => Promise.resolve(runtimes),
    ...overrides,
  } as EnvironmentsApi;
}

describe("the image registry on the Configuration tab", () => {
  it("is not shown for a runtime that needs none", async () => {
    const runtimeChoices = vi.fn(() => Promise.resolve(runtimes));
    render(RegistryPanel, { api: api({ runtimeChoices }), app: "shop", runtime: "docker" });
    await waitFor(() => expect(runtimeChoices).toHaveBeenCalled());
    expect(screen.queryByTestId("registry")).toBeNull();
  });

  it("shows the app's registry and keeps a change, login sharing included", async () => {
    const setAppRegistry = vi.fn(() =>
      Promise.resolve({ ...shop, imageRegistry: "ghcr.io/acme", shareRegistryLogin: true }),
    );
    render(RegistryPanel, { api: api({ setAppRegistry }), app: "shop", runtime: "kube:prod" });
    const field = (await screen.findByTestId("config-registry")) as HTMLInputElement;
    expect(field.value).toBe("registry.example.com/team");
    const save = screen.getByTestId("registry-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await fireEvent.input(field, { target: { value: "ghcr.io/acme" } });
    await fireEvent.click(screen.getByTestId("config-share-login"));
    await fireEvent.click(save);

    await screen.findByTestId("registry-notice");
    expect(setAppRegistry).toHaveBeenCalledWith("shop", "ghcr.io/acme", true);
    expect(save.disabled).toBe(true);
  });

  it("says why a name is refused and keeps what was typed", async () => {
    const setAppRegistry = vi.fn(() =>
      Promise.reject({
        code: "INVALID_REQUEST",
        message: "image_registry: `ghcr.io/Acme`: `Acme` is not a repository path part",
      }),
    );
    render(RegistryPanel, { api: api({ setAppRegistry }), app: "shop", runtime: "kube:prod" });
    const field = (await screen.findByTestId("config-registry")) as HTMLInputElement;
    await fireEvent.input(field, { target: { value: "ghcr.io/Acme" } });
    await fireEvent.click(screen.getByTestId("registry-save"));

    const alert = await screen.findByTestId("registry-error");
    expect(alert.textContent).toContain("is not a repository path part");
    expect(field.value).toBe("ghcr.io/Acme");
  });
});
