import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { ApiOverview, SystemApi } from "../../ipc";
import ApiPanel from "./ApiPanel.svelte";

const overview: ApiOverview = {
  defaultPort: 7477,
  tokens: [
    {
      name: "ci",
      prefix: "stc_3f9a1c",
      createdAt: "2026-12-05T10:00:00.000Z",
      lastUsedAt: "2026-12-05T10:05:00.000Z",
      revokedAt: null,
    },
    {
      name: "old",
      prefix: "stc_77aa01",
      createdAt: "2026-12-01T10:00:00.000Z",
      lastUsedAt: null,
      revokedAt: "2026-12-02T10:00:00.000Z",
    },
  ],
  requests: [
    {
      at: "2026-12-05T10:05:00.000Z",
      method: "GET",
      path: "/api/v1/environments",
      status: 401,
      millis: 0,
      token: null,
    },
    {
      at: "2026-12-05T10:04:00.000Z",
      method: "POST",
      path: "/api/apps/shop/environments",
      status: 200,
      millis: 41,
      token: "ci",
    },
  ],
  refused: 3,
};

function api(over: Partial<SystemApi> = {}): SystemApi {
  return {
    systemReport: () => new Promise(() => {}),
    dockerStatus: () => new Promise(() => {}),
    logOpen: () => Promise.resolve(),
    apiOverview: () => Promise.resolve(overview),
    ingressOverview: () => new Promise(() => {}),
    ingressPortsSet: () => Promise.reject(new Error("unused")),
    apiTokenCreate: () => Promise.reject(new Error("unused")),
    apiTokenRevoke: () => Promise.resolve(),
    ...over,
  };
}

describe("ApiPanel", () => {
  it("shows the address, the tokens (never their values), the last requests and the refusals", async () => {
    render(ApiPanel, { api: api() });

    const tokens = await screen.findAllByTestId("api-token");
    expect(screen.getByTestId("api-address").textContent).toBe("http://127.0.0.1:7477/api/v1/");
    expect(tokens.map((t) => t.dataset.revoked)).toEqual(["false", "true"]);
    expect(tokens[0]?.textContent).toContain("stc_3f9a1c…");
    // Only the live one can be revoked.
    expect(screen.getAllByTestId("api-token-revoke")).toHaveLength(1);
    const requests = screen.getAllByTestId("api-request");
    expect(requests[0]?.textContent).toContain("GET /api/v1/environments");
    expect(requests[1]?.textContent).toContain("41 ms");
    expect(screen.getByTestId("api-refused").textContent).toContain("3");
  });

  it("shows a token once when it is made, and revokes one", async () => {
    const apiTokenCreate = vi.fn(() =>
      Promise.resolve({ name: "laptop", token: "stc_0123456789abcdef" }),
    );
    const apiTokenRevoke = vi.fn(() => Promise.resolve());
    render(ApiPanel, { api: api({ apiTokenCreate, apiTokenRevoke }) });

    const name = (await screen.findByTestId("api-token-name")) as HTMLInputElement;
    await fireEvent.input(name, { target: { value: " laptop " } });
    await fireEvent.click(screen.getByTestId("api-token-create"));
    await waitFor(() => expect(apiTokenCreate).toHaveBeenCalledWith("laptop"));
    expect((await screen.findByTestId("api-token-value")).textContent).toBe("stc_0123456789abcdef");
    expect(name.value).toBe("");

    await fireEvent.click(screen.getByTestId("api-token-revoke"));
    await waitFor(() => expect(apiTokenRevoke).toHaveBeenCalledWith("ci"));
  });

  it("says what went wrong when a token cannot be made", async () => {
    render(ApiPanel, {
      api: api({
        apiTokenCreate: () =>
          Promise.reject({ code: "CONFLICT", message: "a token named ci exists" }),
      }),
    });
    const name = (await screen.findByTestId("api-token-name")) as HTMLInputElement;
    await fireEvent.input(name, { target: { value: "ci" } });
    await fireEvent.click(screen.getByTestId("api-token-create"));
    const error = await screen.findByTestId("api-error");
    expect(error.dataset.code).toBe("CONFLICT");
    expect(screen.queryByTestId("api-token-made")).toBeNull();
  });
});
