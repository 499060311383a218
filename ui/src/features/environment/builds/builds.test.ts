import { describe, expect, it } from "vitest";
import type { BuildView } from "../../../ipc";
import { shownBuilds, totalSize, triggerShort } from "./builds";

const build = (id: number, environment: string | null, live = false): BuildView => ({
  id,
  gitCommit: null,
  trigger: `deploy ${id} of ${environment ?? "?"}: main at 1a2b3c4d5e6f`,
  status: "succeeded",
  startedAt: "2026-12-04T10:00:00.000Z",
  finishedAt: null,
  images: [
    {
      service: "web",
      tag: "t",
      outcome: "built",
      sizeBytes: 5,
      cacheHits: 0,
      reusedFromBuild: null,
      detail: null,
    },
    {
      service: "api",
      tag: "t",
      outcome: "built",
      sizeBytes: null,
      cacheHits: 0,
      reusedFromBuild: null,
      detail: null,
    },
  ],
  environment,
  branch: "main",
  subject: null,
  live,
});

describe("the Builds tab", () => {
  it("shows this environment's builds by default, and the one it runs even if another made it", () => {
    const builds = [build(3, "ted1bc4"), build(2, "other"), build(1, "other", true)];
    expect(shownBuilds(builds, "ted1bc4", false).map((b) => b.id)).toEqual([3, 1]);
    expect(shownBuilds(builds, "ted1bc4", true).map((b) => b.id)).toEqual([3, 2, 1]);
  });

  it("names what started a build without its commit", () => {
    expect(triggerShort("deploy 4 of ted1bc4: main at 1a2b3c4d5e6f")).toBe("deploy 4 of ted1bc4");
    expect(triggerShort("stagecraft builds create")).toBe("stagecraft builds create");
    expect(triggerShort("deploy 4 of ted1bc4: main at 1a2b3c4d5e6f", "ted1bc4")).toBe("deploy 4");
    expect(triggerShort("deploy 4 of other: main at 1a2b3c4d5e6f", "ted1bc4")).toBe(
      "deploy 4 of other",
    );
  });

  it("adds the sizes it knows", () => {
    expect(totalSize(build(1, null))).toBe(5);
  });
});
