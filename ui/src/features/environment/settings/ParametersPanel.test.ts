import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi, ParameterView } from "../../../ipc";
import ParametersPanel from "./ParametersPanel.svelte";

const shown: ParameterView[] = [
  {
    name: "llm",
    description: "the model",
    default: "llama2",
    required: false,
    given: "gpt-4",
    value: "gpt-4",
  },
  { name: "region", description: null, default: null, required: true, given: "eu", value: "eu" },
  { name: "note", description: null, default: "none", required: false, given: null, value: "none" },
];

function api(overrides: Partial<EnvironmentsApi>): EnvironmentsApi {
  return { parameters: () => Promise.resolve(shown), ...overrides } as EnvironmentsApi;
}

describe("the Parameters panel of the Variables tab", () => {
  it("is not shown when the template has none", async () => {
    const parameters = vi.fn(() => Promise.resolve([]));
    render(ParametersPanel, { api: api({ parameters }), envId: "ted1bc4", saved: vi.fn() });
    await waitFor(() => expect(parameters).toHaveBeenCalledWith("ted1bc4"));
    expect(screen.queryByTestId("parameters")).toBeNull();
  });

  it("saves what changed: a new value given, a cleared one taken back to its default", async () => {
    const setParameters = vi.fn(() => Promise.resolve(shown));
    const saved = vi.fn();
    render(ParametersPanel, { api: api({ setParameters }), envId: "ted1bc4", saved });
    await waitFor(() => expect(screen.getAllByTestId("parameter-value")).toHaveLength(3));
    const save = screen.getByTestId("parameters-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    const [llm, , note] = screen.getAllByTestId("parameter-value") as HTMLInputElement[];
    expect(note?.placeholder).toBe("none");
    if (!llm || !note) throw new Error("fields missing");
    await fireEvent.input(llm, { target: { value: "" } });
    await fireEvent.input(note, { target: { value: "hello" } });
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    await waitFor(() => expect(saved).toHaveBeenCalled());
    expect(setParameters).toHaveBeenCalledWith("ted1bc4", { note: "hello" }, ["llm"]);
    expect(screen.getByTestId("parameters-notice").textContent).toContain("next deploy runs setup");
  });

  it("says why a change is refused", async () => {
    const setParameters = vi.fn(() =>
      Promise.reject({
        code: "INVALID_REQUEST",
        message: "the parameter region has no default and needs a value",
      }),
    );
    render(ParametersPanel, { api: api({ setParameters }), envId: "ted1bc4", saved: vi.fn() });
    await waitFor(() => expect(screen.getAllByTestId("parameter-value")).toHaveLength(3));
    const region = screen.getAllByTestId("parameter-value")[1] as HTMLInputElement;
    await fireEvent.input(region, { target: { value: "" } });
    await fireEvent.click(screen.getByTestId("parameters-save"));
    await waitFor(() =>
      expect(screen.getByTestId("parameters-error").textContent).toContain("region"),
    );
  });
});
