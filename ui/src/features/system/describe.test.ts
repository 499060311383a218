import { describe, expect, it } from "vitest";
import {
  currentOs,
  dockerInstallSteps,
  dataDirOrigin,
  endpointOrigin,
  engineSummary,
  imagesReach,
  localTime,
  madeBy,
} from "./describe";

describe("engineSummary", () => {
  it("names the product, version, API and platform", () => {
    expect(
      engineSummary({
        state: "reachable",
        endpoint: "unix:///var/run/docker.sock",
        endpointSource: "platformDefault",
        platform: "Docker Engine - Community",
        version: "20.10.24",
        apiVersion: "1.41",
        os: "linux",
        arch: "amd64",
      }),
    ).toBe("Docker Engine - Community 20.10.24 · API 1.41 · linux/amd64");
  });

  it("falls back to the bare version when the engine names no product", () => {
    expect(
      engineSummary({
        state: "reachable",
        endpoint: "unix:///run/podman/podman.sock",
        endpointSource: "dockerHost",
        platform: null,
        version: "5.4.0",
        apiVersion: "1.41",
        os: "linux",
        arch: "arm64",
      }),
    ).toBe("5.4.0 · API 1.41 · linux/arm64");
  });
});

describe("origins", () => {
  it("say where an endpoint or a folder came from", () => {
    expect(endpointOrigin("dockerHost")).toBe("from DOCKER_HOST");
    expect(endpointOrigin("platformDefault")).toBe("platform default");
    expect(endpointOrigin("podman")).toBe("Podman's Docker-compatible socket");
    expect(endpointOrigin("dockerContext")).toBe("the current Docker context");
    expect(dataDirOrigin("env")).toBe("from STAGECRAFT_DATA_DIR");
    expect(dataDirOrigin("platform")).toBe("platform default");
  });
});

describe("localTime", () => {
  it("formats a valid timestamp and passes anything else through", () => {
    expect(localTime("2026-11-26T06:00:00.000Z", "en-GB")).toMatch(/26 Nov 2026/);
    expect(localTime("not a date")).toBe("not a date");
  });
});

describe("clusters", () => {
  it("name the tool that made them and how images reach them", () => {
    expect(madeBy("dockerDesktop")).toBe("Docker Desktop");
    expect(madeBy("other")).toBe("—");
    expect(imagesReach("kind")).toContain("kind load docker-image");
    expect(imagesReach("other")).toContain("registry");
  });
});

describe("getting a Docker engine", () => {
  it("knows the system from the webview's user agent", () => {
    expect(currentOs("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15")).toBe("linux");
    expect(currentOs("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15")).toBe(
      "macos",
    );
    expect(currentOs("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/130.0")).toBe("windows");
  });

  it("offers an engine Stagecraft finds by itself on each system", () => {
    expect(dockerInstallSteps("linux").map((s) => s.name)).toEqual(["Docker Engine", "Podman"]);
    expect(dockerInstallSteps("macos").map((s) => s.name)).toEqual([
      "Docker Desktop",
      "Colima",
      "Podman",
    ]);
    expect(dockerInstallSteps("windows")[0]?.how).toContain("WSL 2");
  });
});
