import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type {
  AppView,
  DeployView,
  EnvironmentRowView,
  EnvironmentsApi,
  EnvironmentView,
  RuntimeChoice,
} from "../../ipc";
import { toasts } from "../../lib/toast.svelte";
import EnvironmentsScreen from "./EnvironmentsScreen.svelte";

beforeEach(() => toasts.clear());

const messages = () => toasts.items.map((t) => t.message);

/** Opens one of the header's dialogs: "add-app-open" or "new-environment". */
async function openDialog(testid: "add-app-open" | "new-environment") {
  await fireEvent.click(await screen.findByTestId(testid));
}

const runtimes: RuntimeChoice[] = [
  {
    name: "docker",
    label: "Docker (unix:///var/run/docker.sock)",
    available: true,
    note: null,
    needsRegistry: false,
  },
  {
    name: "kube:kind-dev",
    label: "Kubernetes: kind-dev",
    available: false,
    note: "not registered in this Stagecraft",
    needsRegistry: false,
  },
  {
    name: "kube:prod",
    label: "Kubernetes: prod",
    available: true,
    note: "via the app's registry",
    needsRegistry: true,
  },
];

const shop: AppView = {
  name: "shop",
  repoPath: "/home/dev/src/shop",
  trackingBranch: "main",
  autoDeploy: false,
  imageRegistry: null,
  shareRegistryLogin: false,
  gitops: true,
};

function api(
  pickFolder: () => Promise<string | null> = () => Promise.resolve(null),
  overrides: Partial<EnvironmentsApi> = {},
): EnvironmentsApi {
  const unused = () => Promise.reject(new Error("unused"));
  return {
    urlOpen: () => Promise.resolve(),
    runtimeChoices: () => Promise.resolve(runtimes),
    apps: () => Promise.resolve([]),
    addApp: unused,
    setAppRegistry: unused,
    setAppGitops: unused,
    app: unused,
    refreshApp: unused,
    removeApp: unused,
    appVariablesFile: unused,
    saveAppVariables: unused,
    variablesFile: unused,
    saveVariables: unused,
    pickFolder,
    saveFile: unused,
    environments: () => Promise.resolve([]),
    createEnvironment: unused,
    datasets: () => Promise.resolve([]),
    appParameters: () => Promise.resolve([]),
    parameters: unused,
    imports: unused,
    handles: unused,
    addHandles: unused,
    removeHandles: unused,
    presets: () => Promise.resolve([]),
    savePreset: unused,
    setParameters: unused,
    orphans: () => Promise.resolve([]),
    adopt: unused,
    environment: unused,
    health: unused,
    nextDeploy: unused,
    deploy: unused,
    teardown: unused,
    pause: unused,
    resume: unused,
    schedule: unused,
    setSchedule: unused,
    appSchedule: unused,
    setAppSchedule: unused,
    setup: unused,
    workflows: unused,
    runWorkflow: unused,
    cronJobs: unused,
    runCronJob: unused,
    cancel: unused,
    extend: unused,
    timeline: unused,
    deployDetail: unused,
    followDeploy: unused,
    followChanges: () => Promise.resolve(() => {}),
    followLog: unused,
    logResources: unused,
    openTerminal: unused,
    builds: unused,
    compareBuilds: unused,
    deployBuild: unused,
    configHistory: unused,
    saveConfig: unused,
    variables: unused,
    ...overrides,
  };
}

describe("adding an app", () => {
  it("fills the folder from the platform's dialog, and keeps it when the dialog is cancelled", async () => {
    const pick = vi
      .fn<() => Promise<string | null>>()
      .mockResolvedValueOnce("/home/dev/src/shop")
      .mockResolvedValueOnce(null);
    render(EnvironmentsScreen, { api: api(pick), open: () => {} });
    await openDialog("add-app-open");
    const input = (await screen.findByTestId("app-path")) as HTMLInputElement;

    await fireEvent.click(screen.getByTestId("choose-folder"));
    await waitFor(() => expect(input.value).toBe("/home/dev/src/shop"));
    expect((screen.getByTestId("add-app") as HTMLButtonElement).disabled).toBe(false);

    await fireEvent.click(screen.getByTestId("choose-folder"));
    await waitFor(() => expect(pick).toHaveBeenCalledTimes(2));
    expect(input.value).toBe("/home/dev/src/shop");
  });
});

describe("adding an app from a docker-compose file", () => {
  it("says so in a toast, then offers an environment of it with what the import could not carry over", async () => {
    const warning =
      "docker-compose.yml:9:7: warning: services.web.build.ssh: Release builds have no SSH agent; dropped";
    render(EnvironmentsScreen, {
      api: api(undefined, {
        addApp: () => Promise.resolve({ app: shop, warnings: [warning] }),
      }),
      open: () => {},
    });
    await openDialog("add-app-open");
    await fireEvent.input(await screen.findByTestId("app-path"), {
      target: { value: "/home/dev/src/shop" },
    });

    await fireEvent.click(screen.getByTestId("add-app"));

    const shown = await screen.findByTestId("add-app-warnings");
    expect(shown.textContent).toContain("Added shop");
    expect(shown.textContent).toContain(warning);
    expect(screen.getByTestId("new-environment-dialog")).toBeTruthy();
    expect(screen.queryByTestId("add-app-dialog")).toBeNull();
    expect(messages()).toEqual(["Added app shop, 1 warning"]);
  });
});

describe("creating an environment", () => {
  it("sends the runtime and the chosen life, and offers unavailable runtimes disabled with why", async () => {
    const created: EnvironmentView = {
      envId: "ted1bc4",
      app: "shop",
      branch: "main",
      ephemeral: true,
      version: "v1.1",
      runtime: "docker",
      status: "created",
      expiresAt: "2026-11-27T06:00:00.000Z",
      createdAt: "2026-11-26T06:00:00.000Z",
    };
    const createEnvironment = vi.fn(() => Promise.resolve(created));
    const open = vi.fn();
    render(EnvironmentsScreen, {
      api: api(undefined, { apps: () => Promise.resolve([shop]), createEnvironment }),
      open,
    });
    await openDialog("new-environment");
    const runtime = (await screen.findByTestId("env-runtime")) as HTMLSelectElement;
    await waitFor(() => expect(runtime.options.length).toBe(3));
    expect(runtime.options[1]?.disabled).toBe(true);
    expect(runtime.options[1]?.textContent).toContain("not registered in this Stagecraft");
    expect(screen.queryByTestId("env-registry")).toBeNull();

    await fireEvent.change(screen.getByTestId("env-ttl"), { target: { value: "24" } });
    await fireEvent.click(screen.getByTestId("create-environment"));

    await waitFor(() => expect(open).toHaveBeenCalledWith("ted1bc4"));
    expect(createEnvironment).toHaveBeenCalledWith({
      app: "shop",
      branch: null,
      template: "ephemeral",
      runtime: "docker",
      ttlHours: 24,
      workingTree: false,
      parameters: {},
      dataset: null,
    });
  });

  it("fills the form from a preset, and saves the form as one", async () => {
    const createEnvironment = vi.fn(() => Promise.resolve({ envId: "qa1" } as EnvironmentView));
    const appParameters = vi.fn(() =>
      Promise.resolve([
        {
          name: "region",
          description: null,
          default: null,
          required: true,
          given: null,
          value: null,
        },
      ]),
    );
    const preset = {
      name: "nightly",
      app: "shop",
      options: {
        branch: "develop",
        template: "ephemeral",
        ttlHours: 12,
        runtime: "docker",
        parameters: { region: "eu-west" },
      },
    };
    const savePreset = vi.fn(() => Promise.resolve({ ...preset, name: "mine" }));
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve([shop]),
        createEnvironment,
        appParameters,
        presets: () => Promise.resolve([preset]),
        savePreset,
      }),
      open: vi.fn(),
    });
    await openDialog("new-environment");
    const select = (await screen.findByTestId("env-preset")) as HTMLSelectElement;
    await fireEvent.change(select, { target: { value: "nightly" } });
    await waitFor(() =>
      expect((screen.getByTestId("env-parameter") as HTMLInputElement).value).toBe("eu-west"),
    );
    expect((screen.getByTestId("env-branch") as HTMLInputElement).value).toBe("develop");
    // 12 hours is none of the usual choices: it is offered as it is.
    expect((screen.getByTestId("env-ttl") as HTMLSelectElement).value).toBe("12");
    await fireEvent.click(screen.getByTestId("create-environment"));
    await waitFor(() => expect(createEnvironment).toHaveBeenCalled());
    expect(createEnvironment).toHaveBeenCalledWith({
      app: "shop",
      branch: "develop",
      template: "ephemeral",
      runtime: "docker",
      ttlHours: 12,
      workingTree: false,
      parameters: { region: "eu-west" },
      dataset: null,
    });

    await fireEvent.input(screen.getByTestId("env-preset-name"), { target: { value: "mine" } });
    await fireEvent.click(screen.getByTestId("env-preset-save"));
    await waitFor(() => expect(savePreset).toHaveBeenCalled());
    expect(savePreset).toHaveBeenCalledWith("mine", "shop", {
      branch: "develop",
      template: "ephemeral",
      ttlHours: 12,
      runtime: "docker",
      parameters: { region: "eu-west" },
    });
    expect((await screen.findByTestId("env-preset-notice")).textContent).toContain("mine");
  });

  it("asks for the app's parameters, with their descriptions and defaults", async () => {
    const createEnvironment = vi.fn(() => Promise.resolve({ envId: "ted1bc4" } as EnvironmentView));
    const appParameters = vi.fn(() =>
      Promise.resolve([
        {
          name: "llm",
          description: "Any Ollama model tag",
          default: "llama2",
          required: false,
          given: null,
          value: "llama2",
        },
        {
          name: "region",
          description: null,
          default: null,
          required: true,
          given: null,
          value: null,
        },
      ]),
    );
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve([shop]),
        createEnvironment,
        appParameters,
      }),
      open: vi.fn(),
    });
    await openDialog("new-environment");
    await waitFor(() => expect(screen.getAllByTestId("env-parameter")).toHaveLength(2));
    expect(appParameters).toHaveBeenCalledWith("shop", "ephemeral");
    const llm = screen.getAllByTestId("env-parameter")[0] as HTMLInputElement;
    const region = screen.getAllByTestId("env-parameter")[1] as HTMLInputElement;
    expect(llm.placeholder).toBe("llama2");
    expect(screen.getByText("Any Ollama model tag")).toBeTruthy();
    expect(region.required).toBe(true);
    await fireEvent.input(region, { target: { value: "eu-west" } });
    await fireEvent.click(screen.getByTestId("create-environment"));
    await waitFor(() => expect(createEnvironment).toHaveBeenCalled());
    expect(createEnvironment).toHaveBeenCalledWith(
      expect.objectContaining({ parameters: { region: "eu-west" } }),
    );
  });

  it("offers the app's datasets kept on the chosen runtime to start from, and sends the one chosen", async () => {
    const createEnvironment = vi.fn(() => Promise.resolve({ envId: "ted1bc4" } as EnvironmentView));
    const dataset = {
      name: "qa-data",
      app: "shop",
      environment: "tsrc001",
      runtime: "docker",
      volumes: [{ service: "db", volume: "data", bytes: 1024 }],
      jobs: ["migrate", "seed"],
      commit: null,
      bytes: 1024,
      takenAt: "2026-12-05T10:00:00.000Z",
      paused: true,
    };
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve([shop]),
        createEnvironment,
        datasets: () =>
          Promise.resolve([
            dataset,
            { ...dataset, name: "blog-data", app: "blog" },
            // VolumeSnapshots of a cluster: for environments on that cluster only.
            { ...dataset, name: "kind-data", runtime: "kube:kind-dev" },
          ]),
      }),
      open: vi.fn(),
    });
    await openDialog("new-environment");
    const select = (await screen.findByTestId("env-dataset")) as HTMLSelectElement;
    const offered = [...select.options].map((o) => o.textContent?.trim());
    expect(offered).toEqual([
      "empty volumes (its jobs seed it)",
      "dataset qa-data (from tsrc001; skips migrate, seed)",
    ]);
    await fireEvent.change(select, { target: { value: "qa-data" } });
    await fireEvent.click(screen.getByTestId("create-environment"));
    await waitFor(() => expect(createEnvironment).toHaveBeenCalled());
    expect(createEnvironment).toHaveBeenCalledWith(expect.objectContaining({ dataset: "qa-data" }));
  });

  it("names the branches a refused branch is not, and builds the working tree when asked", async () => {
    const createEnvironment = vi.fn((request: { workingTree?: boolean }) =>
      request.workingTree
        ? Promise.resolve({ envId: "ted1bc4" } as EnvironmentView)
        : Promise.reject({
            code: "INVALID_REQUEST",
            message:
              "`feature/carts` is not a branch of /src/shop: its branches are feature/cart, main. Create the branch first, or ask for its deploys to build the working tree instead (`--working-tree`)",
          }),
    );
    const open = vi.fn();
    render(EnvironmentsScreen, {
      api: api(undefined, { apps: () => Promise.resolve([shop]), createEnvironment }),
      open,
    });
    await openDialog("new-environment");
    const branch = (await screen.findByTestId("env-branch")) as HTMLInputElement;
    await fireEvent.input(branch, { target: { value: "feature/carts" } });
    expect(screen.queryByTestId("create-working-tree")).toBeNull();
    await fireEvent.click(screen.getByTestId("create-environment"));

    const error = await screen.findByTestId("create-error");
    expect(error.textContent).toContain("its branches are feature/cart, main");
    expect(open).not.toHaveBeenCalled();
    await fireEvent.click(await screen.findByTestId("create-working-tree"));
    await waitFor(() => expect(open).toHaveBeenCalledWith("ted1bc4"));
    expect(createEnvironment).toHaveBeenLastCalledWith(
      expect.objectContaining({ branch: "feature/carts", workingTree: true }),
    );
  });
});

describe("creating an environment on a cluster that pulls its images", () => {
  const created: EnvironmentView = {
    envId: "tb7c2e1",
    app: "shop",
    branch: "main",
    ephemeral: true,
    version: "v1.1",
    runtime: "kube:prod",
    status: "created",
    expiresAt: "2026-11-29T06:00:00.000Z",
    createdAt: "2026-11-26T06:00:00.000Z",
  };

  it("asks for the app's image registry, filled with the one it has, and keeps a new one first", async () => {
    const named = { ...shop, imageRegistry: "registry.example.com/team" };
    const setAppRegistry = vi.fn(() => Promise.resolve({ ...shop, imageRegistry: "ghcr.io/acme" }));
    const createEnvironment = vi.fn(() => Promise.resolve(created));
    const open = vi.fn();
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve([named]),
        setAppRegistry,
        createEnvironment,
      }),
      open,
    });
    await openDialog("new-environment");
    const runtime = (await screen.findByTestId("env-runtime")) as HTMLSelectElement;
    await waitFor(() => expect(runtime.options.length).toBe(3));
    await fireEvent.change(runtime, { target: { value: "kube:prod" } });
    const field = (await screen.findByTestId("env-registry")) as HTMLInputElement;
    expect(field.value).toBe("registry.example.com/team");

    await fireEvent.input(field, { target: { value: " ghcr.io/acme " } });
    const share = screen.getByTestId("env-share-login") as HTMLInputElement;
    expect(share.checked).toBe(false);
    await fireEvent.click(share);
    await fireEvent.click(screen.getByTestId("create-environment"));

    await waitFor(() => expect(open).toHaveBeenCalledWith("tb7c2e1"));
    expect(setAppRegistry).toHaveBeenCalledWith("shop", "ghcr.io/acme", true);
    expect(createEnvironment).toHaveBeenCalledWith(
      expect.objectContaining({ app: "shop", runtime: "kube:prod" }),
    );
  });

  it("creates nothing when the registry is refused, and says why", async () => {
    const setAppRegistry = vi.fn(() =>
      Promise.reject({
        code: "INVALID_REQUEST",
        message:
          "image_registry: `https://ghcr.io/acme` starts with `https://`: leave the scheme out (`ghcr.io/acme`)",
      }),
    );
    const createEnvironment = vi.fn(() => Promise.resolve(created));
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve([shop]),
        setAppRegistry,
        createEnvironment,
      }),
      open: () => {},
    });
    await openDialog("new-environment");
    const runtime = (await screen.findByTestId("env-runtime")) as HTMLSelectElement;
    await waitFor(() => expect(runtime.options.length).toBe(3));
    await fireEvent.change(runtime, { target: { value: "kube:prod" } });
    const field = (await screen.findByTestId("env-registry")) as HTMLInputElement;
    expect(field.value).toBe("");
    await fireEvent.input(field, { target: { value: "https://ghcr.io/acme" } });
    await fireEvent.click(screen.getByTestId("create-environment"));

    const alert = await screen.findByTestId("create-error");
    expect(alert.textContent).toContain("leave the scheme out (`ghcr.io/acme`)");
    expect(createEnvironment).not.toHaveBeenCalled();
  });
});

describe("the environments list", () => {
  it("offers environments a runtime runs without a record here, adopts one and opens it", async () => {
    const adopt = vi.fn<EnvironmentsApi["adopt"]>(() => Promise.reject(new Error("unused")));
    adopt.mockImplementationOnce(() =>
      Promise.reject({ code: "CONFLICT", message: "the runtime did not answer" }),
    );
    const opened = vi.fn();
    render(EnvironmentsScreen, {
      api: api(undefined, {
        orphans: () =>
          Promise.resolve([
            { envId: "e1abcde", app: "shop", runtime: "docker", appAdded: true },
            { envId: "e2abcde", app: "blog", runtime: "docker", appAdded: false },
          ]),
        adopt,
      }),
      open: opened,
    });

    const rows = await screen.findAllByTestId("orphan");
    expect(rows).toHaveLength(2);
    const buttons = screen.getAllByTestId("adopt") as HTMLButtonElement[];
    expect(buttons[1]?.disabled).toBe(true);
    expect(buttons[1]?.title).toContain("Add the app blog first");
    await fireEvent.click(buttons[0] as HTMLElement);
    expect((await screen.findByTestId("adopt-error")).textContent).toContain("did not answer");
    expect(opened).not.toHaveBeenCalled();
    adopt.mockImplementationOnce(() => Promise.resolve({} as never));
    await fireEvent.click(buttons[0] as HTMLElement);
    await waitFor(() => expect(opened).toHaveBeenCalledWith("e1abcde"));
    expect(adopt).toHaveBeenCalledWith("e1abcde");
  });

  it("shows what each environment is doing and where its services answer", async () => {
    const env: EnvironmentView = {
      envId: "ted1bc4",
      app: "shop",
      branch: "main",
      ephemeral: true,
      version: "v1.1",
      runtime: "docker",
      status: "settingUp",
      expiresAt: "2099-01-01T00:00:00.000Z",
      createdAt: "2026-11-26T06:00:00.000Z",
    };
    const opened: string[] = [];
    render(EnvironmentsScreen, {
      api: api(undefined, {
        urlOpen: (url) => {
          opened.push(url);
          return Promise.resolve();
        },
        environments: () =>
          Promise.resolve([
            {
              environment: env,
              activity: { stage: "setup", building: false, step: "apps", stepsDone: 2, queued: 1 },
              urls: [
                {
                  service: "web",
                  url: "http://web-a1b2c3d.localhost:7480",
                  direct: "http://127.0.0.1:24817",
                },
              ],
              services: null,
            },
          ]),
      }),
      open: () => {},
    });

    expect((await screen.findByTestId("env-activity")).textContent).toBe(
      "setup · step apps (2 done), 1 deploy queued",
    );
    // The hostname through the ingress; the published port in its title; a click opens it in
    // the system's browser.
    const link = screen.getByRole("link", { name: "web-a1b2c3d.localhost" });
    expect(link.getAttribute("title")).toBe(
      "http://web-a1b2c3d.localhost:7480 (web; also at http://127.0.0.1:24817)",
    );
    await fireEvent.click(link);
    expect(opened).toEqual(["http://web-a1b2c3d.localhost:7480"]);
    expect(screen.queryByTestId("env-ready")).toBeNull();
  });

  it("says how many of a deployed environment's services are ready", async () => {
    render(EnvironmentsScreen, {
      api: api(undefined, {
        environments: () =>
          Promise.resolve([
            { ...envRow({ status: "degraded" }), services: { ready: 2, total: 3 } },
          ]),
      }),
      open: () => {},
    });

    const ready = await screen.findByTestId("env-ready");
    expect(ready.textContent?.trim()).toBe("2 of 3 ready");
    expect(ready.classList.contains("short")).toBe(true);
  });
});

describe("the header's dialogs", () => {
  it("are modal, titled, start on their first field, and close on Escape", async () => {
    render(EnvironmentsScreen, { api: api(), open: () => {} });
    // As a click would, the button takes the focus: it has it back when the dialog closes.
    screen.getByTestId("add-app-open").focus();
    await openDialog("add-app-open");
    const dialog = await screen.findByTestId("add-app-dialog");
    expect(dialog.tagName).toBe("DIALOG");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const title = document.getElementById(dialog.getAttribute("aria-labelledby") ?? "");
    expect(title?.textContent).toBe("Add an app");
    expect(document.activeElement).toBe(screen.getByTestId("app-path"));

    await fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByTestId("add-app-dialog")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("add-app-open"));
  });

  it("keeps Tab within the dialog", async () => {
    render(EnvironmentsScreen, { api: api(), open: () => {} });
    await openDialog("add-app-open");
    const dialog = await screen.findByTestId("add-app-dialog");
    const close = screen.getByRole("button", { name: "Close" });
    const cancel = screen.getByRole("button", { name: "Cancel" });
    // The last one enabled (Add app waits for a folder).
    cancel.focus();
    await fireEvent.keyDown(dialog, { key: "Tab" });
    expect(document.activeElement).toBe(close);
    await fireEvent.keyDown(dialog, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(cancel);
  });

  it("offers to add an app first when there is none to create an environment of", async () => {
    render(EnvironmentsScreen, { api: api(), open: () => {} });
    await openDialog("new-environment");
    expect((await screen.findByTestId("no-apps-yet")).textContent).toContain("add one first");
    await fireEvent.click(screen.getByRole("button", { name: "Add an app…" }));
    expect(await screen.findByTestId("add-app-dialog")).toBeTruthy();
    expect(screen.queryByTestId("new-environment-dialog")).toBeNull();
  });

  it("after adding an app without warnings, starts a new environment on it", async () => {
    const blog = { ...shop, name: "blog" };
    let added = false;
    render(EnvironmentsScreen, {
      api: api(undefined, {
        apps: () => Promise.resolve(added ? [shop, blog] : [shop]),
        addApp: () => {
          added = true;
          return Promise.resolve({ app: blog, warnings: [] });
        },
      }),
      open: () => {},
    });
    await openDialog("add-app-open");
    await fireEvent.input(await screen.findByTestId("app-path"), {
      target: { value: "/home/dev/src/blog" },
    });
    await fireEvent.click(screen.getByTestId("add-app"));

    await waitFor(() =>
      expect((screen.getByTestId("env-app") as HTMLSelectElement).value).toBe("blog"),
    );
    expect(screen.queryByTestId("add-app-warnings")).toBeNull();
    expect(messages()).toEqual(["Added app blog"]);
  });
});

function envRow(over: Partial<EnvironmentView>): EnvironmentRowView {
  return {
    environment: {
      envId: "e0",
      app: "shop",
      branch: "main",
      ephemeral: true,
      version: "v1.1",
      runtime: "docker",
      status: "deployed",
      expiresAt: "2099-01-01T00:00:00.000Z",
      createdAt: "2026-11-26T06:00:00.000Z",
      ...over,
    },
    activity: null,
    urls: [],
    services: null,
  };
}

const listed = [
  envRow({ envId: "a1abcde", app: "shop", branch: "main", createdAt: "2026-11-26T06:00:00.000Z" }),
  envRow({
    envId: "b2abcde",
    app: "blog",
    branch: "feature/cart",
    status: "failed",
    createdAt: "2026-11-27T06:00:00.000Z",
  }),
  envRow({ envId: "c3abcde", app: "shop", branch: "old", status: "tornDown" }),
];

const shownIds = () =>
  screen.queryAllByTestId("env-row").map((r) => r.getAttribute("data-env-id") ?? "");

describe("searching, filtering and sorting the list", () => {
  it("searches, filters by app, branch and status, and shows torn down ones on demand", async () => {
    render(EnvironmentsScreen, {
      api: api(undefined, { environments: () => Promise.resolve(listed) }),
      open: () => {},
    });
    await waitFor(() => expect(shownIds()).toEqual(["b2abcde", "a1abcde"]));

    await fireEvent.input(screen.getByTestId("env-search"), { target: { value: "CART" } });
    expect(shownIds()).toEqual(["b2abcde"]);
    await fireEvent.input(screen.getByTestId("env-search"), { target: { value: "" } });

    await fireEvent.change(screen.getByTestId("filter-app"), { target: { value: "shop" } });
    expect(shownIds()).toEqual(["a1abcde"]);
    await fireEvent.change(screen.getByTestId("filter-app"), { target: { value: "" } });

    await fireEvent.change(screen.getByTestId("filter-branch"), {
      target: { value: "feature/cart" },
    });
    expect(shownIds()).toEqual(["b2abcde"]);
    await fireEvent.change(screen.getByTestId("filter-branch"), { target: { value: "" } });

    await fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "failed" } });
    expect(shownIds()).toEqual(["b2abcde"]);
    await fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "" } });

    const toggle = screen.getByTestId("show-torn-down") as HTMLInputElement;
    expect(toggle.parentElement?.textContent).toContain("Show torn down (1)");
    await fireEvent.click(toggle);
    expect(shownIds()).toEqual(["b2abcde", "c3abcde", "a1abcde"]);
  });

  it("says when nothing matches, and shows everything again", async () => {
    render(EnvironmentsScreen, {
      api: api(undefined, { environments: () => Promise.resolve(listed) }),
      open: () => {},
    });
    await fireEvent.input(await screen.findByTestId("env-search"), {
      target: { value: "nothing" },
    });
    expect(screen.getByTestId("no-matches").textContent).toContain("No environment matches");
    await fireEvent.click(screen.getByRole("button", { name: "Show all" }));
    expect(shownIds()).toEqual(["b2abcde", "a1abcde"]);
  });

  it("sorts by a clicked header, the other way on a second click, and says so", async () => {
    render(EnvironmentsScreen, {
      api: api(undefined, { environments: () => Promise.resolve(listed) }),
      open: () => {},
    });
    const app = await screen.findByTestId("sort-app");
    const header = app.closest("th") as HTMLElement;
    expect(header.getAttribute("aria-sort")).toBe("none");
    expect(screen.getByTestId("sort-created").closest("th")?.getAttribute("aria-sort")).toBe(
      "descending",
    );

    await fireEvent.click(app);
    expect(header.getAttribute("aria-sort")).toBe("ascending");
    expect(shownIds()).toEqual(["b2abcde", "a1abcde"]);
    await fireEvent.click(app);
    expect(header.getAttribute("aria-sort")).toBe("descending");
    expect(shownIds()).toEqual(["a1abcde", "b2abcde"]);
    expect(screen.getByTestId("sort-created").closest("th")?.getAttribute("aria-sort")).toBe(
      "none",
    );
  });
});

describe("a row's actions", () => {
  const queued = (stage: DeployView["stage"]): DeployView => ({
    id: 7,
    stage,
    reason: "",
    status: "queued",
    buildId: null,
    queuedAt: "2026-11-26T06:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    rollback: false,
    outcome: null,
    target: null,
  });

  it("deploys, opens, and tears down once confirmed, the environment named", async () => {
    const deploy = vi.fn(() => Promise.resolve(queued("patch")));
    const teardown = vi.fn(() => Promise.resolve(queued("teardown")));
    const opened = vi.fn();
    render(EnvironmentsScreen, {
      api: api(undefined, { environments: () => Promise.resolve(listed), deploy, teardown }),
      open: opened,
    });
    await waitFor(() => expect(shownIds()).toHaveLength(2));
    const row = screen.getAllByTestId("env-row")[1] as HTMLElement;
    expect(row.getAttribute("data-env-id")).toBe("a1abcde");
    const button = (testid: string) =>
      row.querySelector(`[data-testid=${testid}]`) as HTMLButtonElement;

    await fireEvent.click(button("row-deploy"));
    await waitFor(() => expect(deploy).toHaveBeenCalledWith("a1abcde"));
    await waitFor(() => expect(messages()).toEqual(["Deploy of a1abcde queued (patch)"]));

    await fireEvent.click(button("row-open"));
    expect(opened).toHaveBeenCalledWith("a1abcde");

    await fireEvent.click(button("row-teardown"));
    const dialog = await screen.findByTestId("teardown-dialog");
    expect(dialog.textContent).toContain("Tear down a1abcde?");
    expect(screen.getByTestId("teardown-question").textContent).toContain("a1abcde");
    await fireEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(screen.queryByTestId("teardown-dialog")).toBeNull();
    expect(teardown).not.toHaveBeenCalled();

    await fireEvent.click(button("row-teardown"));
    await fireEvent.click(await screen.findByTestId("confirm-row-teardown"));
    await waitFor(() => expect(teardown).toHaveBeenCalledWith("a1abcde"));
  });

  it("are disabled, saying why, where the status forbids them; a refusal is shown", async () => {
    const deploy = vi.fn(() =>
      Promise.reject({ code: "CONFLICT", message: "a deploy is running" }),
    );
    render(EnvironmentsScreen, {
      api: api(undefined, {
        environments: () =>
          Promise.resolve([
            ...listed,
            envRow({ envId: "d4abcde", status: "teardownFailed" }),
            envRow({ envId: "e5abcde", status: "tearingDown" }),
          ]),
        deploy,
      }),
      open: () => {},
    });
    await fireEvent.click(await screen.findByTestId("show-torn-down"));
    const button = (envId: string, testid: string) =>
      document.querySelector(
        `[data-testid=env-row][data-env-id=${envId}] [data-testid=${testid}]`,
      ) as HTMLButtonElement;

    expect(button("c3abcde", "row-deploy").disabled).toBe(true);
    expect(button("c3abcde", "row-deploy").title).toBe("It is torn down");
    expect(button("c3abcde", "row-teardown").disabled).toBe(true);
    expect(button("c3abcde", "row-teardown").title).toBe("It is torn down already");
    expect(button("d4abcde", "row-deploy").disabled).toBe(true);
    expect(button("d4abcde", "row-deploy").title).toContain("only another teardown runs");
    expect(button("d4abcde", "row-teardown").disabled).toBe(false);
    expect(button("e5abcde", "row-teardown").title).toBe("It is being torn down");
    expect(button("b2abcde", "row-deploy").disabled).toBe(false);

    await fireEvent.click(button("b2abcde", "row-deploy"));
    expect((await screen.findByTestId("row-action-error")).textContent).toBe("a deploy is running");
    expect(messages()).toEqual([]);
  });
});
