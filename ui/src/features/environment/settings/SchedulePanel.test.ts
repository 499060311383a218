import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentScheduleView, EnvironmentsApi } from "../../../ipc";
import SchedulePanel from "./SchedulePanel.svelte";

const evenings = {
  pauseAt: "19:00",
  resumeAt: "08:00",
  days: ["mon", "tue", "wed", "thu", "fri"],
  summary: "pause 19:00, resume 08:00, mon-fri",
};

const followsApp: EnvironmentScheduleView = {
  schedule: evenings,
  source: "app",
  appDefault: evenings,
  next: { action: "pause", at: "2026-12-07T19:00:00Z" },
  utcOffset: "+00:00",
};

function api(overrides: Partial<EnvironmentsApi>): EnvironmentsApi {
  return { schedule: () => Promise.resolve(followsApp), ...overrides } as EnvironmentsApi;
}

describe("the Pausing schedule panel of the Configuration tab", () => {
  it("shows the app's default it follows, with its next time, in the fields", async () => {
    render(SchedulePanel, { api: api({}), envId: "ted1bc4" });
    await waitFor(() =>
      expect(screen.getByTestId("schedule-source").textContent).toContain(
        "Its app's default schedule",
      ),
    );
    expect(screen.getByTestId("schedule-source").textContent).toContain(evenings.summary);
    expect(screen.getByTestId("schedule-next").textContent).toMatch(/Next: pause at/);
    expect((screen.getByTestId("schedule-pause") as HTMLInputElement).value).toBe("19:00");
    expect((screen.getByTestId("schedule-resume") as HTMLInputElement).value).toBe("08:00");
    const checked = (screen.getAllByTestId("schedule-day") as HTMLInputElement[])
      .filter((d) => d.checked)
      .map((d) => d.dataset["day"]);
    expect(checked).toEqual(["mon", "tue", "wed", "thu", "fri"]);
    // Following the app: it can be turned off, and there is no own schedule to drop.
    expect(screen.getByTestId("schedule-off")).toBeTruthy();
    expect(screen.queryByTestId("schedule-app-default")).toBeNull();
  });

  it("saves its own schedule from the fields: times as typed, days in order", async () => {
    const own: EnvironmentScheduleView = {
      ...followsApp,
      source: "environment",
      schedule: { ...evenings, pauseAt: "22:30", days: ["mon", "sat"], summary: "x" },
    };
    const setSchedule = vi.fn<EnvironmentsApi["setSchedule"]>(() => Promise.resolve(own));
    render(SchedulePanel, { api: api({ setSchedule }), envId: "ted1bc4" });
    await waitFor(() => screen.getByTestId("schedule-pause"));
    await fireEvent.input(screen.getByTestId("schedule-pause"), { target: { value: "22:30" } });
    const days = screen.getAllByTestId("schedule-day") as HTMLInputElement[];
    for (const day of days) {
      const want = day.dataset["day"] === "mon" || day.dataset["day"] === "sat";
      if (day.checked !== want) await fireEvent.click(day);
    }
    await fireEvent.click(screen.getByTestId("schedule-save"));
    await waitFor(() => expect(screen.getByTestId("schedule-notice").textContent).toBe("Saved."));
    expect(setSchedule).toHaveBeenCalledWith("ted1bc4", {
      kind: "set",
      pauseAt: "22:30",
      resumeAt: "08:00",
      days: "mon,sat",
    });
    expect(screen.getByTestId("schedule-source").textContent).toContain("Its own schedule");
    expect(screen.getByTestId("schedule-app-default")).toBeTruthy();
  });

  it("turns it off, and says why a refused schedule was refused", async () => {
    const off: EnvironmentScheduleView = {
      ...followsApp,
      schedule: null,
      source: "off",
      next: null,
    };
    const setSchedule = vi
      .fn<EnvironmentsApi["setSchedule"]>()
      .mockRejectedValueOnce({ code: "INVALID_REQUEST", message: "days: no days given" })
      .mockResolvedValueOnce(off);
    render(SchedulePanel, { api: api({ setSchedule }), envId: "ted1bc4" });
    await waitFor(() => screen.getByTestId("schedule-save"));
    for (const day of screen.getAllByTestId("schedule-day") as HTMLInputElement[]) {
      if (day.checked) await fireEvent.click(day);
    }
    await fireEvent.click(screen.getByTestId("schedule-save"));
    await waitFor(() =>
      expect(screen.getByTestId("schedule-error").textContent).toContain("no days given"),
    );
    await fireEvent.click(screen.getByTestId("schedule-off"));
    await waitFor(() => expect(setSchedule).toHaveBeenLastCalledWith("ted1bc4", { kind: "off" }));
    await waitFor(() =>
      expect(screen.getByTestId("schedule-source").textContent).toContain("Turned off"),
    );
    expect(screen.queryByTestId("schedule-error")).toBeNull();
    expect(screen.queryByTestId("schedule-next")).toBeNull();
  });
});
