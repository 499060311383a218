import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { AppRefreshView, EnvironmentsApi } from "../../ipc";
import AppScreen from "./AppScreen.svelte";
import { appsApi, shop, shopDetail } from "./fakeApp";

function open(api: EnvironmentsApi, removed: () => void = () => {}) {
  return render(AppScreen, { api, name: "shop", back: () => {}, removed });
}

const unchanged: AppRefreshView = {
  app: "shop",
  fromVersion: 3,
  keptVersion: null,
  changed: false,
  templateBefore: "services:\n- name: web\n",
  templateAfter: "services:\n- name: web\n",
  variablesBefore: "envs: []\n",
  variablesAfter: "envs: []\n",
  secretsChanged: false,
};

describe("an app", () => {
  it("shows its folder, branch and newest version, and its environments, torn-down ones muted", async () => {
    open(appsApi());

    expect((await screen.findByTestId("app-summary")).textContent).toMatch(
      /\/home\/dev\/src\/shop · branch\s+main ·\s+v3/,
    );
    const links = screen.getAllByTestId("app-environment");
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "#environment/ted1bc4",
      "#environment/told123",
    ]);
    const rows = screen.getAllByTestId("app-environment-row");
    expect(rows.map((r) => r.classList.contains("gone"))).toEqual([false, true]);
    expect(within(rows[1] as HTMLElement).getByRole("status").textContent).toContain("Torn down");
  });

  it("reads its files again and says when nothing changed", async () => {
    const refreshApp = vi.fn(() => Promise.resolve(unchanged));
    open(appsApi({ refreshApp }));

    await fireEvent.click(await screen.findByTestId("app-refresh"));

    const result = await screen.findByTestId("app-refresh-result");
    expect(refreshApp).toHaveBeenCalledWith("shop", false);
    expect(result.textContent).toContain("Unchanged");
    expect(result.textContent).toContain("v3");
    expect(screen.queryByTestId("app-refresh-keep")).toBeNull();
  });

  it("shows what changed in its files, line by line, and keeps it as the next version", async () => {
    const changed: AppRefreshView = {
      ...unchanged,
      changed: true,
      templateAfter: "services:\n- name: web\n  replicas: 2\n",
      variablesAfter: "envs:\n- key: MODE\n  value: dev\n",
      secretsChanged: true,
    };
    const refreshApp = vi.fn((_app: string, keep: boolean) =>
      Promise.resolve(keep ? { ...changed, keptVersion: 4 } : changed),
    );
    const app = vi.fn(() => Promise.resolve(shopDetail));
    open(appsApi({ refreshApp, app }));

    await fireEvent.click(await screen.findByTestId("app-refresh"));

    const template = await screen.findByTestId("app-refresh-template-diff");
    expect(template.textContent).toContain("+   replicas: 2");
    expect(template.textContent).toContain("  - name: web");
    const variables = screen.getByTestId("app-refresh-variables-diff");
    expect(variables.textContent).toContain("- envs: []");
    expect(variables.textContent).toContain("+ - key: MODE");
    expect(screen.getByTestId("app-refresh-secrets").textContent).toContain("secret");
    const keep = screen.getByTestId("app-refresh-keep");
    expect(keep.textContent).toBe("Keep as v4");
    expect(refreshApp).toHaveBeenCalledTimes(1);

    await fireEvent.click(keep);

    const kept = await screen.findByTestId("app-refresh-kept");
    expect(refreshApp).toHaveBeenLastCalledWith("shop", true);
    expect(kept.textContent).toContain("Kept as v4: environments created from now on copy it");
    expect(screen.queryByTestId("app-refresh-keep")).toBeNull();
    // The header's version is read again.
    await waitFor(() => expect(app).toHaveBeenCalledTimes(2));
  });

  it("with GitOps, has nothing to refresh and shows its variables read-only, saying where to edit them", async () => {
    const follows = ".release/environment_variables.yaml on branch main";
    const refreshApp = vi.fn(() => Promise.resolve(unchanged));
    open(
      appsApi({
        app: () => Promise.resolve({ ...shopDetail, app: { ...shop, gitops: true } }),
        appVariablesFile: () => Promise.resolve({ yaml: "envs: []\n", follows }),
        refreshApp,
      }),
    );

    expect((await screen.findByTestId("app-refresh-gitops")).textContent).toContain(
      "each deploy reads them from the branch",
    );
    expect(screen.queryByTestId("app-refresh")).toBeNull();
    expect((await screen.findByTestId("app-vars-follows")).textContent).toContain(follows);
    expect((screen.getByTestId("app-vars-yaml") as HTMLTextAreaElement).readOnly).toBe(true);
    expect(screen.queryByTestId("app-vars-save")).toBeNull();
    expect((screen.getByTestId("app-gitops") as HTMLInputElement).checked).toBe(true);
    expect(refreshApp).not.toHaveBeenCalled();
  });

  it("turns GitOps on with the switch and says what it means", async () => {
    const setAppGitops = vi.fn(() => Promise.resolve({ ...shop, gitops: true }));
    open(appsApi({ setAppGitops }));
    const toggle = (await screen.findByTestId("app-gitops")) as HTMLInputElement;
    expect(toggle.checked).toBe(false);

    await fireEvent.click(toggle);

    expect(setAppGitops).toHaveBeenCalledWith("shop", true);
    expect((await screen.findByTestId("app-gitops-notice")).textContent).toContain("GitOps on");
    expect(await screen.findByTestId("app-refresh-gitops")).toBeTruthy();
    expect(screen.queryByTestId("app-refresh")).toBeNull();
  });

  it("puts the GitOps switch back and says why when it is refused", async () => {
    const message = "shop: the folder is not a git repository";
    open(appsApi({ setAppGitops: () => Promise.reject({ code: "GIT_FAILED", message }) }));
    const toggle = (await screen.findByTestId("app-gitops")) as HTMLInputElement;

    await fireEvent.click(toggle);

    expect((await screen.findByTestId("app-gitops-error")).textContent).toBe(message);
    expect(toggle.checked).toBe(false);
    expect(screen.getByTestId("app-refresh")).toBeTruthy();
  });

  it("saves its default variables as the edited YAML, and says new environments copy them", async () => {
    const saveAppVariables = vi.fn(() => Promise.resolve({ ...shopDetail, version: 4 }));
    open(appsApi({ saveAppVariables }));

    const editor = (await screen.findByTestId("app-vars-yaml")) as HTMLTextAreaElement;
    expect(editor.value).toContain("value: ••••••");
    const edited = `${editor.value}- key: NEW\n  value: one\n`;
    await fireEvent.input(editor, { target: { value: edited } });
    await fireEvent.click(screen.getByTestId("app-vars-save"));

    expect(saveAppVariables).toHaveBeenCalledWith("shop", edited);
    expect((await screen.findByTestId("app-vars-notice")).textContent).toContain(
      "Saved as v4: environments created from now on copy it",
    );
    expect(screen.getByTestId("app-version").textContent).toBe("v4");
  });

  it("is removed only once its name is typed, then leaves the screen", async () => {
    const removeApp = vi.fn(() =>
      Promise.resolve({ app: "shop", environments: ["told123"], images: ["shop-web:1"] }),
    );
    const removed = vi.fn();
    open(appsApi({ removeApp }), removed);

    await fireEvent.click(await screen.findByTestId("app-remove"));
    const confirm = screen.getByTestId("app-remove-confirm") as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    await fireEvent.click(confirm);
    await fireEvent.input(screen.getByTestId("app-remove-name"), { target: { value: "sho" } });
    await fireEvent.submit(confirm.closest("form") as HTMLFormElement);
    expect(removeApp).not.toHaveBeenCalled();

    await fireEvent.input(screen.getByTestId("app-remove-name"), { target: { value: "shop" } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);

    await waitFor(() => expect(removed).toHaveBeenCalledTimes(1));
    expect(removeApp).toHaveBeenCalledWith("shop");
    expect(screen.queryByTestId("app-remove-error")).toBeNull();
  });

  it("says why it cannot be removed while an environment of it is not torn down", async () => {
    const message =
      "shop has environments that are not torn down: ted1bc4 (deployed); tear them down first";
    const removeApp = vi.fn(() => Promise.reject({ code: "CONFLICT", message }));
    const removed = vi.fn();
    open(appsApi({ removeApp }), removed);

    await fireEvent.click(await screen.findByTestId("app-remove"));
    await fireEvent.input(screen.getByTestId("app-remove-name"), { target: { value: "shop" } });
    await fireEvent.click(screen.getByTestId("app-remove-confirm"));

    const alert = await screen.findByTestId("app-remove-error");
    expect(alert.getAttribute("role")).toBe("alert");
    expect(alert.dataset.code).toBe("CONFLICT");
    expect(alert.textContent).toBe(message);
    expect(removed).not.toHaveBeenCalled();
  });
});
