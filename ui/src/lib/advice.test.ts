import { describe, expect, it } from "vitest";

import { adviceFor } from "./advice";

describe("adviceFor", () => {
  it("says what to do about a runtime's failure, by its code", () => {
    expect(adviceFor("DOCKER_UNREACHABLE")).toMatch(/start it/);
    expect(adviceFor("KUBE_REFUSED")).toMatch(/RBAC/);
    expect(adviceFor("CONFLICT")).toMatch(/free the port/);
  });

  it("says nothing when the message is all there is", () => {
    expect(adviceFor("RUNTIME_FAILED")).toBeUndefined();
    expect(adviceFor(null)).toBeUndefined();
  });
});
