import { render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi, ImportView } from "../../../ipc";
import ImportsPanel from "./ImportsPanel.svelte";

const back: ImportView = {
  app: "back",
  branch: "feature-2",
  why: "named like the environment's branch",
  commit: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
  services: ["api", "worker"],
  excluded: ["redis"],
};

describe("the Imported apps panel of the Configuration tab", () => {
  it("is not shown when the template imports no app", async () => {
    const imports = vi.fn(() => Promise.resolve([]));
    render(ImportsPanel, { api: { imports } as unknown as EnvironmentsApi, envId: "ted1bc4" });
    await waitFor(() => expect(imports).toHaveBeenCalledWith("ted1bc4"));
    expect(screen.queryByTestId("imports")).toBeNull();
  });

  it("shows each app's branch, why that one, its commit and the services left out", async () => {
    const imports = vi.fn(() =>
      Promise.resolve([back, { ...back, app: "pay", commit: null, excluded: [] }]),
    );
    render(ImportsPanel, { api: { imports } as unknown as EnvironmentsApi, envId: "ted1bc4" });
    const rows = await screen.findAllByTestId("import");
    expect(rows).toHaveLength(2);
    expect(rows[0]?.textContent).toContain("feature-2");
    expect(rows[0]?.textContent).toContain("named like the environment's branch");
    expect(rows[0]?.textContent).toContain("1a2b3c4d5e6f");
    expect(rows[0]?.textContent).not.toContain("1a2b3c4d5e6f7");
    expect(rows[0]?.textContent).toContain("left out: redis");
    expect(rows[1]?.textContent).toContain("working tree");
    expect(rows[1]?.textContent).not.toContain("left out");
  });

  it("says why the imports cannot be read", async () => {
    const imports = vi.fn(() =>
      Promise.reject({ code: "INVALID_FILES", message: "front imports the app `back`" }),
    );
    render(ImportsPanel, { api: { imports } as unknown as EnvironmentsApi, envId: "ted1bc4" });
    expect((await screen.findByTestId("imports-error")).textContent).toContain("`back`");
  });
});
