import { EditorView } from "@codemirror/view";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { tick } from "svelte";
import { describe, expect, it, vi } from "vitest";
import type { ConfigVersionView, DeployView, EnvironmentsApi } from "../../../ipc";
import EnvironmentScreen from "../EnvironmentScreen.svelte";
import { fakeApi, history, setup } from "../fakeApi";
import ConfigurationPanel from "./ConfigurationPanel.svelte";
import { savedAt } from "./diagnostics";

/** The CodeMirror view behind the editable element the tests find by its test id. */
function editorView(): EditorView {
  const view = EditorView.findFromDOM(screen.getByTestId("config-yaml"));
  if (!view) throw new Error("no editor");
  return view;
}

/** Types `text` as the whole configuration, as the user would (one transaction). */
async function replaceText(text: string) {
  const view = editorView();
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  await tick();
}

/** The cursor's line and column, from 1. */
function cursor(view: EditorView): [number, number] {
  const head = view.state.selection.main.head;
  const line = view.state.doc.lineAt(head);
  return [line.number, head - line.from + 1];
}

function renderPanel(api: EnvironmentsApi, props: Record<string, unknown> = {}) {
  return render(ConfigurationPanel, {
    api,
    envId: "ted1bc4",
    app: "shop",
    saved: () => {},
    ...props,
  });
}

describe("ConfigurationPanel", () => {
  it("edits the configuration in a code editor with line numbers", async () => {
    renderPanel(fakeApi());

    await waitFor(() => expect(editorView().state.doc.toString()).toBe(history[0]?.configYaml));
    const content = screen.getByTestId("config-yaml");
    expect(content.getAttribute("contenteditable")).toBe("true");
    expect(content.getAttribute("aria-label")).toBe("Configuration YAML");
    expect(content.getAttribute("aria-readonly")).toBe("false");
    expect(document.querySelector(".cm-lineNumbers")?.textContent).toContain("3");

    await replaceText("services:\n- name: web\n  replicas: 3\n");
    expect((screen.getByTestId("config-save") as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.click(screen.getByText("Revert"));
    expect(editorView().state.doc.toString()).toBe(history[0]?.configYaml);
  });

  it("lists the mistakes of a refused save and goes to each one", async () => {
    const saveConfig = vi.fn(() =>
      Promise.reject({
        code: "INVALID_FILES",
        message: [
          "ted1bc4 configuration:1:1: warning: environment_templates: no `environment_templates`",
          "ted1bc4 configuration:3:13: error: services[0].replicas: `x` is not a number",
        ].join("\n"),
      }),
    );
    renderPanel(fakeApi({ saveConfig }));
    await waitFor(() => expect(editorView().state.doc.length).toBeGreaterThan(0));

    await replaceText("services:\n- name: web\n  replicas: x\n");
    await fireEvent.click(screen.getByTestId("config-save"));

    const alert = await screen.findByTestId("config-error");
    expect(alert.textContent).toContain("Not saved: 2 findings.");
    const found = screen.getAllByTestId("config-diagnostic");
    expect(found.map((b) => b.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "warning line 1, column 1: environment_templates: no `environment_templates`",
      "error line 3, column 13: services[0].replicas: `x` is not a number",
    ]);
    // Marked in the gutter and the text too.
    await waitFor(() => expect(document.querySelector(".cm-lint-marker-error")).not.toBeNull());
    expect(document.querySelector(".cm-lintRange-error")?.textContent).toBe("x");

    await fireEvent.click(found[1] as HTMLElement);
    const view = editorView();
    expect(cursor(view)).toEqual([3, 13]);
    expect(document.activeElement).toBe(screen.getByTestId("config-yaml"));
  });

  it("shows a refusal that names no place as it is", async () => {
    const message = "the environment ted1bc4 is torn down: create a new one";
    renderPanel(fakeApi({ saveConfig: () => Promise.reject({ code: "CONFLICT", message }) }));
    await waitFor(() => expect(editorView().state.doc.length).toBeGreaterThan(0));
    await replaceText("services: []\n");
    await fireEvent.click(screen.getByTestId("config-save"));

    expect((await screen.findByTestId("config-error")).textContent?.trim()).toBe(message);
    expect(screen.queryByTestId("config-diagnostic")).toBeNull();
  });

  it("goes to each key the runtime does not carry out", async () => {
    const warned: ConfigVersionView[] = [
      {
        ...(history[0] as ConfigVersionView),
        configYaml: "services:\n- name: web\ncharts:\n- name: redis\n",
        warnings: [
          "ted1bc4 configuration:3:1: warning: charts: not carried out on Docker: skipped",
        ],
      },
    ];
    renderPanel(fakeApi({ configHistory: () => Promise.resolve(warned) }));

    const warning = await screen.findByTestId("config-warning");
    expect(warning.textContent).toBe(
      "line 3, column 1: charts: not carried out on Docker: skipped",
    );
    await waitFor(() => expect(document.querySelector(".cm-lint-marker-warning")).not.toBeNull());

    await fireEvent.click(warning);
    expect(cursor(editorView())).toEqual([3, 1]);
    expect(document.activeElement).toBe(screen.getByTestId("config-yaml"));
  });

  it("only reads the configuration of a torn-down environment, and says why", async () => {
    renderPanel(fakeApi(), { status: "tornDown" });

    expect((await screen.findByTestId("config-readonly")).textContent).toContain("torn down");
    await waitFor(() => expect(editorView().state.doc.length).toBeGreaterThan(0));
    expect(editorView().state.readOnly).toBe(true);
    expect(screen.getByTestId("config-yaml").getAttribute("aria-readonly")).toBe("true");
    expect(screen.queryByTestId("config-save")).toBeNull();
    expect(screen.getByTestId("configuration").textContent).not.toContain("Saving checks it");
  });

  it("only reads a configuration that follows the Release files (GitOps)", async () => {
    const follows = ".release/application_template.yaml on branch main";
    renderPanel(
      fakeApi({
        configHistory: () => Promise.resolve(history.map((v) => ({ ...v, follows }))),
      }),
    );

    expect((await screen.findByTestId("config-follows")).textContent).toContain(follows);
    await waitFor(() => expect(editorView().state.readOnly).toBe(true));
    expect(screen.getByTestId("config-edit-here")).toBeTruthy();
    expect(screen.queryByTestId("config-readonly")).toBeNull();
  });

  it("editable again once GitOps is turned off for the app", async () => {
    const follows = ".release/application_template.yaml on branch main";
    let following = true;
    const setAppGitops = vi.fn((app: string, on: boolean) => {
      following = on;
      return Promise.resolve({
        name: app,
        repoPath: "/src/shop",
        trackingBranch: "main",
        autoDeploy: false,
        imageRegistry: null,
        shareRegistryLogin: false,
        gitops: on,
      });
    });
    renderPanel(
      fakeApi({
        configHistory: () =>
          Promise.resolve(history.map((v) => ({ ...v, follows: following ? follows : null }))),
        setAppGitops,
      }),
    );

    await fireEvent.click(await screen.findByTestId("config-edit-here"));

    await screen.findByTestId("config-save");
    await waitFor(() => expect(editorView().state.readOnly).toBe(false));
    expect(screen.getByTestId("config-yaml").getAttribute("aria-readonly")).toBe("false");
  });

  it("saves a new version, then diffs it with an older one", async () => {
    const saveConfig = vi.fn((_envId: string, yaml: string) =>
      Promise.resolve<ConfigVersionView>({
        version: "v1.3",
        parameters: {},
        specific: 3,
        configYaml: yaml,
        createdAt: "2026-11-26T08:00:00.000Z",
        follows: null,
        warnings: [],
      }),
    );
    const saved = vi.fn();
    renderPanel(fakeApi({ saveConfig }), { saved });
    await waitFor(() => expect(editorView().state.doc.length).toBeGreaterThan(0));

    await replaceText("services:\n- name: web\n  replicas: 3\n");
    await fireEvent.click(screen.getByTestId("config-save"));

    expect((await screen.findByTestId("config-notice")).textContent).toContain("v1.3");
    expect(saveConfig).toHaveBeenCalledWith("ted1bc4", "services:\n- name: web\n  replicas: 3\n");
    expect(saved).toHaveBeenCalled();
    await fireEvent.change(screen.getByTestId("config-compare"), { target: { value: "1" } });
    expect((await screen.findByTestId("config-diff")).textContent).toContain("+   replicas: 2");
    // The parameters given, when the two versions differ in them.
    expect(screen.getByTestId("config-parameters-diff").textContent).toContain(
      "llm=gpt-4 (in v1.1: none given)",
    );
  });

  it("names each older version by when it was saved, in local time", async () => {
    renderPanel(fakeApi());

    const compare = await screen.findByTestId("config-compare");
    const option = compare.querySelector("option[value='1']");
    expect(option?.textContent).toBe(`v1.1 (${savedAt("2026-11-26T06:00:00.000Z")})`);
    expect(option?.textContent).not.toContain("T06:00");
  });
});

describe("Ctrl+Enter in the configuration editor", () => {
  it("is the editor's: it deploys nothing", async () => {
    const deploy = vi.fn(() => Promise.resolve<DeployView>({ ...setup, id: 2, status: "queued" }));
    render(EnvironmentScreen, { api: fakeApi({ deploy }), envId: "ted1bc4", back: () => {} });
    await waitFor(() => expect(screen.getByTestId("deploy").textContent).toBe("Deploy (patch)"));
    await fireEvent.click(screen.getByTestId("tab-configuration"));
    await waitFor(() => expect(editorView().state.doc.length).toBeGreaterThan(0));

    // Keys go to the focused element: CodeMirror's contenteditable, or a line inside it.
    editorView().focus();
    const focused = document.activeElement as HTMLElement;
    expect(focused).toBe(screen.getByTestId("config-yaml"));
    await fireEvent.keyDown(focused, { key: "Enter", ctrlKey: true });
    await fireEvent.keyDown(focused.querySelector(".cm-line") as HTMLElement, {
      key: "Enter",
      ctrlKey: true,
    });
    expect(deploy).not.toHaveBeenCalled();

    // Outside it, the shortcut still deploys.
    await fireEvent.keyDown(screen.getByTestId("tab-configuration"), {
      key: "Enter",
      ctrlKey: true,
    });
    expect(deploy).toHaveBeenCalledWith("ted1bc4");
  });
});
