import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { AppView, EnvironmentsApi, EnvironmentView, RuntimeChoice } from "../../ipc";
import EnvironmentsScreen from "./EnvironmentsScreen.svelte";

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
    environments: () => Promise.resolve([]),
    createEnvironment: unused,
    orphans: () => Promise.resolve([]),
    adopt: unused,
    environment: unused,
    health: unused,
    nextDeploy: unused,
    deploy: unused,
    teardown: unused,
    setup: unused,
    cancel: unused,
    extend: unused,
    timeline: unused,
    deployDetail: unused,
    followDeploy: unused,
    followChanges: () => Promise.resolve(() => {}),
    followLog: unused,
    logResources: unused,
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
  it("shows what the import could not carry over, each warning located", async () => {
    const warning =
      "docker-compose.yml:9:7: warning: services.web.build.ssh: Release builds have no SSH agent; dropped";
    render(EnvironmentsScreen, {
      api: api(undefined, {
        addApp: () => Promise.resolve({ app: shop, warnings: [warning] }),
      }),
      open: () => {},
    });
    await fireEvent.input(await screen.findByTestId("app-path"), {
      target: { value: "/home/dev/src/shop" },
    });

    await fireEvent.click(screen.getByTestId("add-app"));

    const shown = await screen.findByTestId("add-app-warnings");
    expect(shown.textContent).toContain("Added shop");
    expect(shown.textContent).toContain(warning);
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
    });
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
    render(EnvironmentsScreen, {
      api: api(undefined, {
        environments: () =>
          Promise.resolve([
            {
              environment: env,
              activity: { stage: "setup", building: false, step: "apps", stepsDone: 2, queued: 1 },
              urls: [{ service: "web", url: "http://127.0.0.1:24817" }],
            },
          ]),
      }),
      open: () => {},
    });

    expect((await screen.findByTestId("env-activity")).textContent).toBe(
      "setup · step apps (2 done), 1 deploy queued",
    );
    expect(screen.getByTestId("env-urls").textContent).toContain("http://127.0.0.1:24817");
  });
});
