// The only module that talks to Tauri. Everything else receives these functions, so it runs
// and is tested without a Tauri window.
import { invoke } from "@tauri-apps/api/core";
import type { DockerStatus, ErrorCode, IpcError, SystemReport } from "./bindings";

export type * from "./bindings";

/** An error as the UI shows it: a command's own error, or a failure of the IPC itself. */
export interface UiError {
  code: ErrorCode | "IPC_FAILURE";
  message: string;
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** Normalises whatever a rejected `invoke` gave: commands reject with an `IpcError`, Tauri
 *  itself (a command refused by the capabilities, a lost window) with a bare string. */
export function toUiError(raw: unknown): UiError {
  if (isIpcError(raw)) return raw;
  if (raw instanceof Error) return { code: "IPC_FAILURE", message: raw.message };
  return { code: "IPC_FAILURE", message: String(raw) };
}

async function call<T>(command: string): Promise<T> {
  try {
    return await invoke<T>(command);
  } catch (raw) {
    throw toUiError(raw);
  }
}

/** What the System screen needs; the real one calls the app, tests pass their own. */
export interface SystemApi {
  systemReport(): Promise<SystemReport>;
  dockerStatus(): Promise<DockerStatus>;
}

export const systemApi: SystemApi = {
  systemReport: () => call<SystemReport>("system_report"),
  dockerStatus: () => call<DockerStatus>("docker_status"),
};
