import { describe, expect, it } from "vitest";
import { toUiError } from "./index";

describe("toUiError", () => {
  it("keeps a command's coded error as it is", () => {
    const error = { code: "STORE_NEWER_SCHEMA", message: "the database … is newer" };
    expect(toUiError(error)).toEqual(error);
  });

  it("turns Tauri's bare string refusals into IPC failures", () => {
    expect(toUiError("system_report not allowed. Command not found")).toEqual({
      code: "IPC_FAILURE",
      message: "system_report not allowed. Command not found",
    });
  });

  it("keeps the message of a thrown Error", () => {
    expect(toUiError(new Error("window closed"))).toEqual({
      code: "IPC_FAILURE",
      message: "window closed",
    });
  });
});
