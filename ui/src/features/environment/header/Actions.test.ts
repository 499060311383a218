import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi } from "../../../ipc";
import { toasts } from "../../../lib/toast.svelte";
import EnvironmentScreen from "../EnvironmentScreen.svelte";
import { env, fakeApi } from "../fakeApi";

beforeEach(() => toasts.clear());

describe("extending an environment", () => {
  it("extends by the chosen time, and says when it now expires", async () => {
    const extended = { ...env, expiresAt: "2099-01-02T00:00:00.000Z" };
    const extend = vi.fn<EnvironmentsApi["extend"]>(() => Promise.resolve(extended));
    render(EnvironmentScreen, { api: fakeApi({ extend }), envId: "ted1bc4", back: () => {} });

    const hours = (await screen.findByTestId("extend-hours")) as HTMLSelectElement;
    expect(hours.selectedOptions[0]?.textContent).toBe("7 days");
    expect(screen.getByTestId("extend").title).toBe("Expire 7 days from now");
    await fireEvent.change(hours, { target: { value: hours.options[1]?.value } });
    expect(screen.getByTestId("extend").title).toBe("Expire 1 day from now");
    await fireEvent.click(screen.getByTestId("extend"));

    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", 24));
    const when = new Date(extended.expiresAt).toLocaleString(undefined, {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
    await waitFor(() =>
      expect(toasts.items.map((t) => t.message)).toEqual([`ted1bc4 now expires ${when}`]),
    );
  });

  it("says nothing when the extension is refused (the error shows instead)", async () => {
    const extend = vi.fn(() => Promise.reject({ code: "CONFLICT", message: "it is permanent" }));
    render(EnvironmentScreen, { api: fakeApi({ extend }), envId: "ted1bc4", back: () => {} });
    await fireEvent.click(await screen.findByTestId("extend"));
    await waitFor(() => expect(extend).toHaveBeenCalledWith("ted1bc4", null));
    await screen.findByText("it is permanent");
    expect(toasts.items).toEqual([]);
  });
});
