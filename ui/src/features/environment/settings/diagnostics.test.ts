import { describe, expect, it } from "vitest";
import { describeLocated, parseDiagnostics, savedAt } from "./diagnostics";

describe("parseDiagnostics", () => {
  it("reads each located finding of a refused save, errors and warnings", () => {
    const refusal = [
      "ted1bc4 configuration:1:1: warning: environment_templates: no `environment_templates`: Release requires them",
      "ted1bc4 configuration:3:13: error: services[0].replicas: `x` is not a number",
    ].join("\n");

    expect(parseDiagnostics(refusal)).toEqual([
      {
        line: 1,
        column: 1,
        severity: "warning",
        message: "environment_templates: no `environment_templates`: Release requires them",
      },
      {
        line: 3,
        column: 13,
        severity: "error",
        message: "services[0].replicas: `x` is not a number",
      },
    ]);
  });

  it("reads a runtime's warning, whose file names the environment", () => {
    expect(
      parseDiagnostics(
        "ted1bc4 configuration:12:5: warning: charts: not carried out on Docker: nothing is installed",
      ),
    ).toEqual([
      {
        line: 12,
        column: 5,
        severity: "warning",
        message: "charts: not carried out on Docker: nothing is installed",
      },
    ]);
  });

  it("finds the line in a file whose name holds a colon or a version", () => {
    expect(parseDiagnostics("C:\\src\\shop\\.release.yaml:2:3: error: app: empty")).toEqual([
      { line: 2, column: 3, severity: "error", message: "app: empty" },
    ]);
    expect(
      parseDiagnostics(
        "ted1bc4 configuration v1.2:7:9: error: workflows: the `setup` workflow is missing",
      )[0],
    ).toMatchObject({ line: 7, column: 9 });
  });

  it("keeps a message over several lines together, and skips text that is not located", () => {
    const text = [
      "the configuration was refused:",
      ".release.yaml:4:2: error: services: first line",
      "  second line",
      "",
    ].join("\n");

    expect(parseDiagnostics(text)).toEqual([
      { line: 4, column: 2, severity: "error", message: "services: first line\n  second line" },
    ]);
  });

  it("finds nothing in a refusal that names no place", () => {
    expect(
      parseDiagnostics(
        "shop follows its Release files (GitOps): edit .release.yaml on branch main and deploy",
      ),
    ).toEqual([]);
    expect(parseDiagnostics("")).toEqual([]);
  });

  it("places a finding the app made without a place on the first line", () => {
    expect(parseDiagnostics("shop:0:0: error: app: missing")[0]).toMatchObject({
      line: 1,
      column: 1,
    });
  });

  it("describes a finding by line and column", () => {
    expect(describeLocated({ line: 12, column: 5, severity: "error", message: "app: empty" })).toBe(
      "line 12, column 5: app: empty",
    );
  });
});

describe("savedAt", () => {
  it("shows the store's UTC time as a date and time in the reader's zone", () => {
    expect(savedAt("2026-12-04T15:20:00.000Z", "en-GB", "UTC")).toBe("4 Dec 2026, 15:20");
    expect(savedAt("2026-12-04T15:20:00.000Z", "en-GB", "Europe/Paris")).toBe("4 Dec 2026, 16:20");
  });

  it("reads SQLite's own timestamp, which names no zone, as UTC", () => {
    expect(savedAt("2026-12-04 15:20:00", "en-GB", "UTC")).toBe("4 Dec 2026, 15:20");
    expect(savedAt("2026-12-04 23:30", "en-GB", "Asia/Tokyo")).toBe("5 Dec 2026, 08:30");
  });

  it("follows the reader's locale", () => {
    // Some ICU versions put a narrow no-break space before PM.
    expect(savedAt("2026-12-04T15:20:00Z", "en-US", "UTC")).toMatch(/^Dec 4, 2026, 03:20\sPM$/);
  });

  it("shows a text that is no date as it is", () => {
    expect(savedAt("yesterday", "en-GB", "UTC")).toBe("yesterday");
  });
});
