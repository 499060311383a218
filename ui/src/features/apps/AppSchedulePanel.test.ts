import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { EnvironmentsApi, PauseScheduleView } from "../../ipc";
import AppSchedulePanel from "./AppSchedulePanel.svelte";

const nights: PauseScheduleView = {
  pauseAt: "20:00",
  resumeAt: null,
  days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
  summary: "pause 20:00, every day",
};

describe("the app's default pausing schedule", () => {
  it("saves a default from the fields, then removes it", async () => {
    const setAppSchedule = vi
      .fn<EnvironmentsApi["setAppSchedule"]>()
      .mockResolvedValueOnce(nights)
      .mockResolvedValueOnce(null);
    const api = {
      appSchedule: () => Promise.resolve(null),
      setAppSchedule,
    } as unknown as EnvironmentsApi;
    render(AppSchedulePanel, { api, name: "shop" });
    await waitFor(() =>
      expect(screen.getByTestId("app-schedule-current").textContent).toContain("None"),
    );
    expect(screen.queryByTestId("app-schedule-clear")).toBeNull();
    await fireEvent.input(screen.getByTestId("schedule-pause"), { target: { value: "20:00" } });
    for (const day of screen.getAllByTestId("schedule-day") as HTMLInputElement[]) {
      if (!day.checked) await fireEvent.click(day);
    }
    await fireEvent.click(screen.getByTestId("app-schedule-save"));
    await waitFor(() =>
      expect(screen.getByTestId("app-schedule-current").textContent).toContain(nights.summary),
    );
    expect(setAppSchedule).toHaveBeenCalledWith("shop", {
      pauseAt: "20:00",
      resumeAt: null,
      days: "mon,tue,wed,thu,fri,sat,sun",
    });
    await fireEvent.click(screen.getByTestId("app-schedule-clear"));
    await waitFor(() => expect(setAppSchedule).toHaveBeenLastCalledWith("shop", null));
    await waitFor(() =>
      expect(screen.getByTestId("app-schedule-current").textContent).toContain("None"),
    );
  });
});
