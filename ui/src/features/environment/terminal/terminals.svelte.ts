// The environment screen's open terminals: which workload each is a shell in, and which one
// shows. Each terminal's session lives in its TerminalView; closing one here unmounts it,
// which closes its session (and stops its shell).
import type { TerminalMessage } from "../../../ipc";

export interface OpenTerminal {
  /** This screen's own number for it (its session has another, given by the app). */
  key: number;
  workload: string;
}

export class Terminals {
  list = $state<OpenTerminal[]>([]);
  active = $state<number>();
  #next = 1;

  /** Opens another terminal in `workload` and shows it; several may be open at once. */
  open(workload: string): void {
    const key = this.#next++;
    this.list = [...this.list, { key, workload }];
    this.active = key;
  }

  /** Closes terminal `key`; the one beside it shows. */
  close(key: number): void {
    const at = this.list.findIndex((t) => t.key === key);
    if (at < 0) return;
    this.list = this.list.filter((t) => t.key !== key);
    if (this.active === key) {
      this.active = (this.list[at] ?? this.list[at - 1])?.key;
    }
  }

  /** The tab's label: `web`, then `web (2)` for a second shell in it. */
  label(terminal: OpenTerminal): string {
    const same = this.list.filter((t) => t.workload === terminal.workload);
    const nth = same.findIndex((t) => t.key === terminal.key) + 1;
    return nth > 1 ? `${terminal.workload} (${nth})` : terminal.workload;
  }
}

/** A terminal's output message's bytes. */
export function outputBytes(message: Extract<TerminalMessage, { kind: "output" }>): Uint8Array {
  // WebKit 2.50, Safari 18.2 and Chromium 140 decode natively; jsdom and older ones do not.
  const native = (Uint8Array as { fromBase64?: (data: string) => Uint8Array }).fromBase64;
  if (native) return native(message.data);
  const text = atob(message.data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The line a terminal shows once its shell has ended. */
export function endLine(message: Extract<TerminalMessage, { kind: "exit" }>): string {
  if (message.error !== null) return `The shell broke off: ${message.error}`;
  if (message.code === null) return "The shell ended.";
  return `The shell exited with code ${message.code}.`;
}
