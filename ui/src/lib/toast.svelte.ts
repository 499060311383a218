// Short notices that dismiss themselves ("Added app shop"): any screen shows one, the window's
// one toast region (components/Toast.svelte, mounted in App.svelte) draws them.

export type ToastTone = "ok" | "warn" | "error";

export interface ToastItem {
  id: number;
  message: string;
  tone: ToastTone;
}

/** How long a notice stays, in milliseconds. */
export const TOAST_MS = 6000;
/** The most shown at once: a newer one pushes the oldest out. */
const MOST = 3;

class Toasts {
  items = $state<ToastItem[]>([]);
  #next = 0;

  /** Shows the notice for `ms`; gives its id (to dismiss it sooner). */
  show(message: string, tone: ToastTone = "ok", ms: number = TOAST_MS): number {
    const id = ++this.#next;
    this.items = [...this.items, { id, message, tone }].slice(-MOST);
    setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

export const toasts = new Toasts();

export function toast(message: string, tone: ToastTone = "ok"): number {
  return toasts.show(message, tone);
}
