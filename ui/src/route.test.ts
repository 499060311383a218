import { describe, expect, it } from "vitest";
import { parseRoute } from "./route";

describe("routes", () => {
  it("reads the screen from the hash", () => {
    expect(parseRoute("")).toEqual({ screen: "environments" });
    expect(parseRoute("#environments")).toEqual({ screen: "environments" });
    expect(parseRoute("#system")).toEqual({ screen: "system" });
    expect(parseRoute("#environment/ted1bc4")).toEqual({
      screen: "environment",
      envId: "ted1bc4",
    });
    expect(parseRoute("#environment/my%20env")).toEqual({
      screen: "environment",
      envId: "my env",
    });
    expect(parseRoute("#nonsense")).toEqual({ screen: "environments" });
  });
});
