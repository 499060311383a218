import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { IngressView, SystemApi } from "../../ipc";
import IngressPanel from "./IngressPanel.svelte";

function api(ingress: IngressView): SystemApi {
  return {
    systemReport: () => new Promise(() => {}),
    dockerStatus: () => new Promise(() => {}),
    logOpen: () => Promise.resolve(),
    apiOverview: () => new Promise(() => {}),
    ingressOverview: () => Promise.resolve(ingress),
    ingressPortsSet: () => Promise.reject(new Error("unused")),
    apiTokenCreate: () => Promise.reject(new Error("unused")),
    apiTokenRevoke: () => Promise.resolve(),
  };
}

/** What the card is told: served here, `*.localhost` resolved, no HTTPS, no conflict. */
function served(view: Partial<IngressView> = {}): IngressView {
  return {
    port: 7480,
    status: "serving",
    problem: null,
    resolvesLocalhost: true,
    httpsPort: null,
    saved: { port: 7480, httpsPort: null },
    setByEnv: [],
    authority: null,
    conflicts: [],
    ...view,
  };
}

describe("IngressPanel", () => {
  it("gives the hostnames' shape and port, who serves it, and that *.localhost resolves", async () => {
    render(IngressPanel, {
      api: api(served()),
    });
    expect((await screen.findByTestId("ingress-address")).textContent).toBe(
      "http://<service>-<id>.localhost:7480",
    );
    expect(screen.getByTestId("ingress-status").dataset.status).toBe("serving");
    expect(screen.getByTestId("ingress-resolver").dataset.resolves).toBe("true");
    expect(screen.queryByTestId("ingress-problem")).toBeNull();
    expect(screen.getByTestId("ingress-https").textContent).toContain("HTTPS is off");
  });

  it("gives the HTTPS address and how to trust the data folder's authority once it is made", async () => {
    const ingress: IngressView = served({
      httpsPort: 7443,
      authority: "/home/ada/.local/share/stagecraft/ingress-ca/stagecraft-ca.pem",
    });
    render(IngressPanel, { api: api(ingress) });
    expect((await screen.findByTestId("ingress-https")).textContent).toContain(
      "https://<service>-<id>.localhost:7443",
    );
    const trust = screen.getByTestId("ingress-trust").textContent ?? "";
    expect(trust).toContain(
      'certutil -user -addstore Root "/home/ada/.local/share/stagecraft/ingress-ca/stagecraft-ca.pem"',
    );
    expect(trust).toContain("update-ca-certificates");
    expect(trust).toContain(
      "add-trusted-cert -r trustRoot -p ssl -k ~/Library/Keychains/login.keychain-db '/home/ada/.local/share/stagecraft/ingress-ca/stagecraft-ca.pem'",
    );
  });

  it("quotes a path with a quote in it for the shell", async () => {
    render(IngressPanel, {
      api: api(
        served({
          httpsPort: 7443,
          authority: "/home/o'hara/ca.pem",
        }),
      ),
    });
    expect((await screen.findByTestId("ingress-trust")).textContent).toContain(
      "trust anchor --store '/home/o'\\''hara/ca.pem'",
    );
  });

  it("says the authority is made on HTTPS's first start", async () => {
    render(IngressPanel, {
      api: api(
        served({
          httpsPort: 7443,
        }),
      ),
    });
    expect((await screen.findByTestId("ingress-trust")).textContent).toContain(
      "made when HTTPS first starts",
    );
  });

  it("says why nobody serves it, and what to do when the resolver does not send *.localhost here", async () => {
    render(IngressPanel, {
      api: api(
        served({
          status: "off",
          problem: "the ingress cannot listen on 127.0.0.1:7480: address in use",
          resolvesLocalhost: false,
        }),
      ),
    });
    expect((await screen.findByTestId("ingress-problem")).textContent).toContain("address in use");
    const resolver = screen.getByTestId("ingress-resolver");
    expect(resolver.dataset.resolves).toBe("false");
    expect(resolver.textContent).toContain("libnss-myhostname");
    expect(resolver.textContent).toContain(
      "curl -H 'Host: web-ID.localhost' http://127.0.0.1:7480/",
    );
  });

  it("names the hostnames two environments claim, who gets them, and how to give each its own", async () => {
    render(IngressPanel, {
      api: api(
        served({
          conflicts: [
            {
              host: "shop.localhost",
              path: "/",
              kept: { envId: "a1b2c3d", service: "web" },
              dropped: { envId: "e4f5g6h", service: "web" },
            },
            {
              host: "shop.localhost",
              path: "/api",
              kept: { envId: "a1b2c3d", service: "api" },
              dropped: { envId: "e4f5g6h", service: "api" },
            },
          ],
        }),
      ),
    });
    const conflicts = await screen.findAllByTestId("ingress-conflict");
    expect(conflicts.map((c) => c.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "shop.localhost: a1b2c3d (web) gets it, even while paused or stopped, not e4f5g6h (web).",
      "shop.localhost/api: a1b2c3d (api) gets it, even while paused or stopped, not e4f5g6h (api).",
    ]);
    const links = conflicts[0]?.querySelectorAll("a") ?? [];
    expect([...links].map((a) => a.getAttribute("href"))).toEqual([
      "#environment/a1b2c3d",
      "#environment/e4f5g6h",
    ]);
    expect(screen.getByTestId("ingress-conflicts").textContent).toContain("${env_id}");
  });

  it("says two rules of one environment claim a route, without the advice for environments", async () => {
    render(IngressPanel, {
      api: api(
        served({
          conflicts: [
            {
              host: "shop-a1b2c3d.localhost",
              path: "/api",
              kept: { envId: "a1b2c3d", service: "api" },
              dropped: { envId: "a1b2c3d", service: "admin" },
            },
            {
              host: "shop-a1b2c3d.localhost",
              path: "/api",
              kept: { envId: "a1b2c3d", service: "api" },
              dropped: { envId: "a1b2c3d", service: "admin" },
            },
          ],
        }),
      ),
    });
    const conflicts = await screen.findAllByTestId("ingress-conflict");
    expect(conflicts).toHaveLength(2);
    expect(conflicts[0]?.textContent?.replace(/\s+/g, " ").trim()).toBe(
      "shop-a1b2c3d.localhost/api: two rules of a1b2c3d give it; api gets it, not admin.",
    );
    expect(screen.getByTestId("ingress-conflicts").textContent).not.toContain("${env_id}");
  });

  it("reads the ingress again while the screen is open", async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      const view: IngressView = served();
      render(IngressPanel, {
        api: {
          ...api(view),
          ingressOverview: () => {
            reads += 1;
            return Promise.resolve(view);
          },
        },
      });
      await vi.advanceTimersByTimeAsync(25_000);
      expect(reads).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says nothing of conflicts when there are none", async () => {
    render(IngressPanel, {
      api: api(served()),
    });
    await screen.findByTestId("ingress-status");
    expect(screen.queryByTestId("ingress-conflicts")).toBeNull();
  });

  it("saves the ports for the next start, and says this ingress stays where it is until then", async () => {
    const asked: unknown[] = [];
    render(IngressPanel, {
      api: {
        ...api(served()),
        ingressPortsSet: (ports) => {
          asked.push(ports);
          return Promise.resolve(served({ saved: ports }));
        },
      },
    });
    const save = (await screen.findByTestId("ingress-ports-save")) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    expect(screen.queryByTestId("ingress-later")).toBeNull();
    await fireEvent.input(screen.getByTestId("ingress-port-input"), { target: { value: "8080" } });
    await fireEvent.click(screen.getByTestId("ingress-https-on"));
    expect(save.disabled).toBe(false);
    await fireEvent.click(save);
    expect(asked).toEqual([{ port: 8080, httpsPort: 7443 }]);
    const later = (await screen.findByTestId("ingress-later")).textContent ?? "";
    expect(later.replace(/\s+/g, " ")).toContain(
      "Saved: port 8080, HTTPS on 7443, for the ingress's next start",
    );
    expect(later.replace(/\s+/g, " ")).toContain("stays on port 7480, HTTPS off");
    expect(save.disabled).toBe(true);
  });

  it("follows the saved ports again after a save, and when typed back to them", async () => {
    vi.useFakeTimers();
    try {
      let view: IngressView = served();
      render(IngressPanel, {
        api: {
          ...api(served()),
          ingressOverview: () => Promise.resolve(view),
          ingressPortsSet: (ports) => {
            view = served({ saved: ports });
            return Promise.resolve(view);
          },
        },
      });
      await vi.advanceTimersByTimeAsync(0);
      const field = screen.getByTestId("ingress-port-input") as HTMLInputElement;
      await fireEvent.input(field, { target: { value: "8080" } });
      await fireEvent.click(screen.getByTestId("ingress-ports-save"));
      await vi.advanceTimersByTimeAsync(0);
      view = served({ saved: { port: 9090, httpsPort: null } });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(field.value).toBe("9090");
      // Typed away and back: the form follows the next saved ports.
      await fireEvent.input(field, { target: { value: "9191" } });
      await fireEvent.input(field, { target: { value: "9090" } });
      view = served({ saved: { port: 9292, httpsPort: null } });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(field.value).toBe("9292");
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses one port for both before asking, and shows the app's refusal with its code", async () => {
    render(IngressPanel, {
      api: {
        ...api(served()),
        ingressPortsSet: () =>
          Promise.reject({
            code: "INVALID_REQUEST",
            message: "port: another program listens on 127.0.0.1:8080",
          }),
      },
    });
    const save = (await screen.findByTestId("ingress-ports-save")) as HTMLButtonElement;
    await fireEvent.click(screen.getByTestId("ingress-https-on"));
    await fireEvent.input(screen.getByTestId("ingress-https-port-input"), {
      target: { value: "7480" },
    });
    expect(save.disabled).toBe(true);
    expect(screen.getByTestId("ingress-ports-problem").textContent).toBe(
      "HTTPS needs a port of its own.",
    );
    await fireEvent.input(screen.getByTestId("ingress-port-input"), { target: { value: "8080" } });
    expect(save.disabled).toBe(false);
    expect(screen.queryByTestId("ingress-ports-problem")).toBeNull();
    await fireEvent.click(save);
    const error = await screen.findByTestId("ingress-ports-error");
    expect(error.dataset.code).toBe("INVALID_REQUEST");
    expect(error.textContent).toContain("another program listens on 127.0.0.1:8080");
    // Changing a field puts the refusal away.
    await fireEvent.input(screen.getByTestId("ingress-port-input"), { target: { value: "8081" } });
    expect(screen.queryByTestId("ingress-ports-error")).toBeNull();
  });

  it("shows ports another process saved until the user changes a field", async () => {
    vi.useFakeTimers();
    try {
      let view: IngressView = served();
      render(IngressPanel, {
        api: { ...api(served()), ingressOverview: () => Promise.resolve(view) },
      });
      await vi.advanceTimersByTimeAsync(0);
      const field = screen.getByTestId("ingress-port-input") as HTMLInputElement;
      expect(field.value).toBe("7480");
      view = served({ saved: { port: 9090, httpsPort: null } });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(field.value).toBe("9090");
      expect((screen.getByTestId("ingress-ports-save") as HTMLButtonElement).disabled).toBe(true);
      await fireEvent.input(field, { target: { value: "9191" } });
      view = served({ saved: { port: 9292, httpsPort: null } });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(field.value).toBe("9191");
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps an HTTPS port typed while HTTPS is turned off and on again", async () => {
    render(IngressPanel, { api: api(served()) });
    const on = await screen.findByTestId("ingress-https-on");
    await fireEvent.click(on);
    const https = screen.getByTestId("ingress-https-port-input") as HTMLInputElement;
    await fireEvent.input(https, { target: { value: "9443" } });
    await fireEvent.click(on);
    await fireEvent.click(on);
    expect(https.value).toBe("9443");
  });

  it("says which variables set this app's ports over the saved ones", async () => {
    render(IngressPanel, {
      api: api(served({ port: 7999, setByEnv: ["STAGECRAFT_INGRESS_PORT"] })),
    });
    const note = (await screen.findByTestId("ingress-set-by-env")).textContent ?? "";
    expect(note.replace(/\s+/g, " ")).toContain(
      "STAGECRAFT_INGRESS_PORT sets this app's port instead of the data folder's",
    );
    expect(screen.queryByTestId("ingress-later")).toBeNull();
  });
});
