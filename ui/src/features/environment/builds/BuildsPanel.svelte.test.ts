import { waitFor } from "@testing-library/svelte";
import { flushSync, mount, unmount } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { builds, fakeApi } from "../fakeApi";
import BuildsPanel from "./BuildsPanel.svelte";

describe("the Builds tab", () => {
  it("reads the builds again when the environment's deploys change, not as the clock ticks", async () => {
    const listed = vi.fn(() => Promise.resolve(builds));
    const props = $state({
      api: fakeApi({ builds: listed }),
      app: "shop",
      envId: "ted1bc4",
      canDeploy: null,
      now: Date.now(),
      revision: "1:succeeded",
      deployed: () => {},
      openLog: () => {},
    });
    const panel = mount(BuildsPanel, { target: document.body, props });
    await waitFor(() => expect(listed).toHaveBeenCalledTimes(1));
    props.now += 60_000;
    flushSync();
    expect(listed).toHaveBeenCalledTimes(1);
    props.revision = "1:succeeded,2:running";
    flushSync();
    await waitFor(() => expect(listed).toHaveBeenCalledTimes(2));
    unmount(panel);
  });
});
