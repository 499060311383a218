import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi, HandleView } from "../../ipc";
import HandlesPanel from "./HandlesPanel.svelte";

const qa: HandleView[] = [
  { pool: "qa", name: "qa1", heldBy: "qa1" },
  { pool: "qa", name: "qa2", heldBy: null },
];

describe("the Environment handles panel of an app", () => {
  it("shows each pool's names, which are held, and removes a free one", async () => {
    const removeHandles = vi.fn(() => Promise.resolve([qa[0] as HandleView]));
    const api = {
      handles: () => Promise.resolve(qa),
      removeHandles,
      followChanges: () => Promise.resolve(() => {}),
    } as unknown as EnvironmentsApi;
    render(HandlesPanel, { api, name: "shop" });
    const names = await screen.findAllByTestId("handle");
    expect(names.map((n) => n.dataset.held)).toEqual(["true", "false"]);
    expect(names[0]?.title).toBe("held by qa1");
    // Only a free name can be removed.
    const remove = screen.getAllByTestId("handle-remove");
    expect(remove).toHaveLength(1);
    await fireEvent.click(remove[0] as HTMLElement);
    await waitFor(() => expect(removeHandles).toHaveBeenCalledWith("shop", "qa", ["qa2"]));
    await waitFor(() => expect(screen.getAllByTestId("handle")).toHaveLength(1));
  });

  it("adds names and numbered ones to a pool, and says why when refused", async () => {
    const addHandles = vi
      .fn()
      .mockResolvedValueOnce([...qa, { pool: "qa", name: "qa3", heldBy: null }])
      .mockRejectedValueOnce({
        code: "INVALID_REQUEST",
        message: "`QA` cannot be an environment's id",
      });
    const api = {
      handles: () => Promise.resolve([]),
      addHandles,
      followChanges: () => Promise.resolve(() => {}),
    } as unknown as EnvironmentsApi;
    render(HandlesPanel, { api, name: "shop" });
    await fireEvent.input(screen.getByTestId("handle-pool-name"), { target: { value: "qa" } });
    await fireEvent.input(screen.getByTestId("handle-names"), { target: { value: "qa3, qa4" } });
    await fireEvent.input(screen.getByTestId("handle-count"), { target: { value: "2" } });
    await fireEvent.click(screen.getByTestId("handle-add"));
    await waitFor(() => expect(addHandles).toHaveBeenCalledWith("shop", "qa", ["qa3", "qa4"], 2));
    expect(await screen.findAllByTestId("handle")).toHaveLength(3);
    await fireEvent.input(screen.getByTestId("handle-names"), { target: { value: "QA" } });
    await fireEvent.click(screen.getByTestId("handle-add"));
    expect((await screen.findByTestId("handles-error")).textContent).toContain("`QA`");
  });
});
