import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DeployView, EnvironmentsApi, EnvironmentView } from "../../ipc";
import { EnvironmentModel } from "./environment.svelte";
import EnvironmentScreen from "./EnvironmentScreen.svelte";
import { detail, env, fakeApi, setup, workflows } from "./fakeApi";
import Actions from "./header/Actions.svelte";

beforeEach(() => sessionStorage.clear());

/** A run of the custom workflow `name`, as the timeline lists it. */
const run = (name: string, extra: Partial<DeployView> = {}): DeployView => ({
  ...setup,
  id: 6,
  stage: "workflow",
  reason: `workflow \`${name}\` requested`,
  status: "queued",
  startedAt: null,
  finishedAt: null,
  target: name,
  ...extra,
});

function open(overrides: Partial<EnvironmentsApi> = {}) {
  render(EnvironmentScreen, {
    api: fakeApi({ workflows: () => Promise.resolve(workflows), ...overrides }),
    envId: "ted1bc4",
    back: () => {},
  });
}

async function openMenu(): Promise<HTMLElement> {
  const button = await screen.findByTestId("workflows-menu");
  await fireEvent.click(button);
  return button;
}

describe("the Workflows menu", () => {
  it("is absent when the configuration has no custom workflow", async () => {
    const read = vi.fn<EnvironmentsApi["workflows"]>(() => Promise.resolve([]));
    render(EnvironmentScreen, {
      api: fakeApi({ workflows: read }),
      envId: "ted1bc4",
      back: () => {},
    });
    await waitFor(() => expect(screen.getByTestId("deploy").textContent).toBe("Deploy (patch)"));
    expect(read).toHaveBeenCalledWith("ted1bc4");
    expect(screen.queryByTestId("workflows-menu")).toBeNull();
  });

  it("lists each workflow by name with its steps", async () => {
    open();
    const button = await screen.findByTestId("workflows-menu");
    expect(button.tagName).toBe("BUTTON");
    expect(button.getAttribute("aria-haspopup")).toBe("menu");
    expect(button.getAttribute("aria-expanded")).toBe("false");
    await fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");

    const menu = screen.getByRole("menu", { name: "Workflows" });
    const items = within(menu).getAllByRole("menuitem");
    expect(items.map((i) => i.dataset.workflow)).toEqual(["gitbook-ingest", "reindex"]);
    expect(items.map((i) => i.dataset.testid)).toEqual(["workflow-run", "workflow-run"]);
    expect(items[0]?.textContent).toBe("gitbook-ingest jobs.fetch → jobs.ingest + jobs.index");
    expect(items[1]?.textContent).toBe("reindex jobs.reindex");
    expect(items.every((i) => !(i as HTMLButtonElement).disabled)).toBe(true);
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
  });

  it("closes on Escape, and on a click outside it", async () => {
    open();
    const button = await openMenu();
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: "Escape" });
    expect(screen.queryByRole("menu")).toBeNull();
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(button);

    await fireEvent.click(button);
    expect(screen.getByRole("menu")).toBeTruthy();
    await fireEvent.pointerDown(document.body);
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("runs the chosen workflow, and the timeline opens on its run", async () => {
    let runs: DeployView[] = [];
    const runWorkflow = vi.fn<EnvironmentsApi["runWorkflow"]>((_envId, name) => {
      runs = [run(name)];
      return Promise.resolve(run(name));
    });
    open({
      runWorkflow,
      timeline: () => Promise.resolve([setup, ...runs]),
      deployDetail: (id) =>
        Promise.resolve(id === 6 ? { deploy: run("gitbook-ingest"), steps: [] } : detail),
    });
    await openMenu();
    const item = screen
      .getAllByTestId("workflow-run")
      .find((i) => i.dataset.workflow === "gitbook-ingest");
    await fireEvent.click(item as HTMLElement);

    await waitFor(() => expect(runWorkflow).toHaveBeenCalledWith("ted1bc4", "gitbook-ingest"));
    expect(screen.queryByRole("menu")).toBeNull();
    const lane = await waitFor(() => {
      const found = screen.getAllByTestId("deploy-lane").find((l) => l.dataset.deployId === "6");
      if (!found) throw new Error("no lane for the run yet");
      return found;
    });
    expect(lane.dataset.stage).toBe("workflow");
    expect(within(lane).getByRole("button").getAttribute("aria-expanded")).toBe("true");
    expect(screen.queryByTestId("action-error")).toBeNull();
  });

  it("shows why a run was refused", async () => {
    const runWorkflow = vi.fn<EnvironmentsApi["runWorkflow"]>(() =>
      Promise.reject({
        code: "conflict",
        message: "ted1bc4 was never set up, so a workflow has nothing to run with",
      }),
    );
    open({ runWorkflow });
    await openMenu();
    await fireEvent.click(screen.getAllByTestId("workflow-run")[1] as HTMLElement);

    await waitFor(() => expect(runWorkflow).toHaveBeenCalledWith("ted1bc4", "reindex"));
    expect((await screen.findByTestId("action-error")).textContent).toBe(
      "ted1bc4 was never set up, so a workflow has nothing to run with",
    );
  });

  it("disables its workflows, saying why, while the environment takes no deploy", async () => {
    open({
      environment: () => Promise.resolve({ ...env, status: "teardownFailed" }),
    });
    await openMenu();
    const items = screen.getAllByTestId("workflow-run") as HTMLButtonElement[];
    expect(items.length).toBe(2);
    expect(items.every((i) => i.disabled)).toBe(true);
    expect(items[0]?.title).toBe(
      "Its last teardown left objects behind: only another teardown runs",
    );
  });

  it("is not offered, nor read, on a torn-down environment", async () => {
    const read = vi.fn<EnvironmentsApi["workflows"]>(() => Promise.resolve(workflows));
    render(EnvironmentScreen, {
      api: fakeApi({
        workflows: read,
        environment: () => Promise.resolve({ ...env, status: "tornDown" }),
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    await waitFor(() =>
      expect(screen.getByTestId("environment-status").dataset.status).toBe("tornDown"),
    );
    expect(screen.queryByTestId("workflows-menu")).toBeNull();
    expect(read).not.toHaveBeenCalled();
  });

  it("sits beside the More menu in a narrow header", async () => {
    const model = new EnvironmentModel(
      fakeApi({ workflows: () => Promise.resolve(workflows) }),
      "ted1bc4",
      sessionStorage,
    );
    await model.load();
    if (!model.env) throw new Error("the environment did not load");
    render(Actions, { model, env: model.env, compact: true });
    expect(screen.getByTestId("workflows-menu")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    expect(screen.queryByTestId("workflow-run")).toBeNull();
  });
});

describe("reading the custom workflows", () => {
  it("reads them once a configuration version, again when it changes, and forgets a failed read", async () => {
    let version = "v1.1";
    let fails = false;
    const read = vi.fn<EnvironmentsApi["workflows"]>(() =>
      fails ? Promise.reject({ code: "internal", message: "no" }) : Promise.resolve(workflows),
    );
    const model = new EnvironmentModel(
      fakeApi({
        workflows: read,
        environment: () => Promise.resolve<EnvironmentView>({ ...env, version }),
      }),
      "ted1bc4",
      sessionStorage,
    );
    await Promise.all([model.load(), model.load()]);
    await model.load();
    expect(read).toHaveBeenCalledTimes(1);
    expect(model.workflows).toEqual(workflows);

    version = "v1.2";
    fails = true;
    await model.load();
    expect(read).toHaveBeenCalledTimes(2);
    // Unread, none are offered; the screen itself read well.
    expect(model.workflows).toEqual([]);
    expect(model.error).toBeUndefined();

    fails = false;
    await model.load();
    expect(read).toHaveBeenCalledTimes(3);
    expect(model.workflows).toEqual(workflows);
  });
});

describe("a workflow's lane", () => {
  it("is labelled with the workflow's name", async () => {
    const ran = run("gitbook-ingest", {
      id: 2,
      status: "succeeded",
      startedAt: setup.finishedAt,
      finishedAt: "2026-11-26T06:00:20.000Z",
    });
    render(EnvironmentScreen, {
      api: fakeApi({ timeline: () => Promise.resolve([setup, ran]) }),
      envId: "ted1bc4",
      back: () => {},
    });
    await waitFor(() => expect(screen.getAllByTestId("lane-stage")).toHaveLength(2));
    const [newest, first] = screen.getAllByTestId("lane-stage");
    expect(newest?.textContent).toBe("gitbook-ingest");
    expect(newest?.title).toBe("Custom workflow gitbook-ingest");
    expect(newest?.classList.contains("workflow")).toBe(true);
    expect(first?.textContent).toBe("Setup");
  });

  it("offers to run a failed workflow again, not to deploy or roll back", async () => {
    const failed = run("reindex", {
      id: 2,
      status: "failed",
      buildId: 7,
      startedAt: setup.finishedAt,
      finishedAt: "2026-11-26T06:00:20.000Z",
      outcome: { outcome: "failed", reason: "jobs.reindex failed" },
    });
    const runWorkflow = vi.fn<EnvironmentsApi["runWorkflow"]>((_envId, name) =>
      Promise.resolve(run(name, { id: 3 })),
    );
    render(EnvironmentScreen, {
      api: fakeApi({
        runWorkflow,
        timeline: () => Promise.resolve([setup, failed]),
        deployDetail: () => Promise.resolve({ deploy: failed, steps: [] }),
      }),
      envId: "ted1bc4",
      back: () => {},
    });
    const summary = await screen.findByTestId("failure-summary");
    expect(within(summary).getByRole("heading").textContent?.trim()).toBe(
      "The workflow reindex failed",
    );
    expect(within(summary).queryByTestId("failure-deploy")).toBeNull();
    expect(within(summary).queryByTestId("failure-rollback")).toBeNull();
    const again = within(summary).getByTestId("failure-run-workflow");
    expect(again.textContent).toBe("Run reindex again");
    await fireEvent.click(again);
    await waitFor(() => expect(runWorkflow).toHaveBeenCalledWith("ted1bc4", "reindex"));
  });
});
