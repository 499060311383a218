import { render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { DockerStatus, IngressView, SystemApi, SystemReport } from "../../ipc";
import SystemScreen from "./SystemScreen.svelte";

const report: SystemReport = {
  version: "0.1.0",
  dataDir: "/home/dev/.local/share/stagecraft",
  dataDirSource: "platform",
  secretKey: "/home/dev/.local/share/stagecraft/secret.key",
  logDir: "/home/dev/.local/state/stagecraft/logs",
  logFile: "/home/dev/.local/state/stagecraft/logs/stagecraft.2026-12-05.log",
  database: {
    path: "/home/dev/.local/share/stagecraft/stagecraft.db",
    schemaVersion: 1,
    latestSchemaVersion: 1,
    createdAt: "2026-11-26T06:00:00.000Z",
    createdByVersion: "0.1.0",
  },
  datasets: { count: 2, bytes: 12_500_000, dir: "/home/dev/.local/share/stagecraft/datasets" },
  kubernetes: {
    state: "found",
    files: ["/home/dev/.kube/config"],
    currentContext: "kind-dev",
    contexts: [
      {
        name: "kind-dev",
        cluster: "kind-dev",
        server: "https://127.0.0.1:6443",
        namespace: null,
        madeBy: "kind",
      },
      {
        name: "minikube",
        cluster: "minikube",
        server: null,
        namespace: "demo",
        madeBy: "minikube",
      },
    ],
  },
};

const unreachable: DockerStatus = {
  state: "unreachable",
  endpoint: "unix:///var/run/docker.sock",
  endpointSource: "platformDefault",
  code: "DOCKER_UNREACHABLE",
  message: "no Docker engine answered at unix:///var/run/docker.sock: the socket does not exist",
};

/** The API card's part of the screen, with nothing in it. */
const noApi = {
  apiOverview: () => Promise.resolve({ defaultPort: 7477, tokens: [], requests: [], refused: 0 }),
  ingressOverview: () => new Promise<IngressView>(() => {}),
  ingressPortsSet: () => Promise.reject(new Error("not in this test")),
  apiTokenCreate: () => Promise.reject(new Error("not in this test")),
  apiTokenRevoke: () => Promise.resolve(),
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("SystemScreen", () => {
  it("shows the report while Docker is still being asked", async () => {
    const docker = deferred<DockerStatus>();
    const api: SystemApi = {
      systemReport: () => Promise.resolve(report),
      dockerStatus: () => docker.promise,
      logOpen: () => Promise.resolve(),
      ...noApi,
    };
    render(SystemScreen, { api });

    expect(await screen.findByTestId("schema-version")).toHaveProperty("textContent", "1");
    expect(screen.getByTestId("datasets-space").textContent).toContain("2 taking 12.5 MB");
    expect(screen.getByText("Connecting…")).toBeTruthy();
    expect(screen.getByTestId("docker-status").dataset.state).toBe("checking");

    docker.resolve(unreachable);
    await waitFor(() =>
      expect(screen.getByTestId("docker-status").dataset.state).toBe("unreachable"),
    );
    expect(screen.getByTestId("docker-error").textContent).toContain("the socket does not exist");
    // How to get one, on this system first (jsdom says Linux).
    const install = screen.getByTestId("docker-install");
    expect(install.dataset.os).toBe("linux");
    expect(install.textContent).toContain("Docker Engine");
    expect(install.textContent).toContain("On another system");
  });

  it("lists the contexts and marks the current one", async () => {
    const api: SystemApi = {
      systemReport: () => Promise.resolve(report),
      dockerStatus: () => Promise.resolve(unreachable),
      logOpen: () => Promise.resolve(),
      ...noApi,
    };
    render(SystemScreen, { api });

    const rows = await screen.findAllByTestId("kube-context");
    const cells = rows.map((row) =>
      Array.from(row.querySelectorAll("td"), (td) => td.textContent?.replace(/\s+/g, " ").trim()),
    );
    expect(cells).toEqual([
      ["kind-dev current", "kind-dev", "kind", "https://127.0.0.1:6443", "default"],
      ["minikube", "minikube", "minikube", "—", "demo"],
    ]);
  });

  it("explains a database it cannot open, with the error's code, and opens the log", async () => {
    const opened: boolean[] = [];
    const api: SystemApi = {
      systemReport: () =>
        Promise.reject({ code: "STORE_NEWER_SCHEMA", message: "written by a newer Stagecraft" }),
      dockerStatus: () => Promise.resolve(unreachable),
      logOpen: (reveal) => {
        opened.push(reveal);
        return Promise.resolve();
      },
      ...noApi,
    };
    render(SystemScreen, { api });

    const banner = await screen.findByTestId("report-error");
    expect(banner.dataset.code).toBe("STORE_NEWER_SCHEMA");
    expect(banner.textContent).toContain("written by a newer Stagecraft");
    // The log says more, and opens without the database.
    screen.getByTestId("error-open-log").click();
    await waitFor(() => expect(opened).toEqual([false]));
  });

  it("opens the log file, or shows it in its folder, and says why it could not", async () => {
    const asked: boolean[] = [];
    const api: SystemApi = {
      systemReport: () => Promise.resolve(report),
      dockerStatus: () => Promise.resolve(unreachable),
      logOpen: (reveal) => {
        asked.push(reveal);
        return asked.length < 3
          ? Promise.resolve()
          : Promise.reject({ code: "FILE_READ", message: "the system could not open it" });
      },
      ...noApi,
    };
    render(SystemScreen, { api });

    expect((await screen.findByTestId("log-file")).textContent).toBe(report.logFile);
    screen.getByRole("button", { name: "Open" }).click();
    screen.getByRole("button", { name: "Show in folder" }).click();
    await waitFor(() => expect(asked).toEqual([false, true]));
    expect(screen.queryByTestId("log-error")).toBeNull();
    screen.getByRole("button", { name: "Open" }).click();
    expect((await screen.findByTestId("log-error")).textContent).toContain("could not open it");
  });

  it("names the log folder before the app has written a file", async () => {
    const api: SystemApi = {
      systemReport: () => Promise.resolve({ ...report, logFile: null }),
      dockerStatus: () => Promise.resolve(unreachable),
      logOpen: () => Promise.resolve(),
      ...noApi,
    };
    render(SystemScreen, { api });

    expect((await screen.findByTestId("log-dir")).textContent).toBe(report.logDir);
    expect(screen.queryByRole("button", { name: "Open" })).toBeNull();
  });
});
