// The change feed as screens use it: a reload of what they show when a change concerns them,
// never two at once (a burst of changes costs one reload running and one after it).
import type { Change, EnvironmentsApi } from "../ipc";

/**
 * Follows the app's changes: `reload` runs for each change `concerns` accepts and after a
 * resync (the window fell behind). Subscribe first, then load: nothing falls between.
 * Resolves to a function that stops following.
 */
export async function reloadOnChange(
  api: Pick<EnvironmentsApi, "followChanges">,
  concerns: (change: Change) => boolean,
  reload: () => Promise<void>,
): Promise<() => void> {
  let running = false;
  let again = false;
  let stopped = false;
  async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await reload();
      } while (again && !stopped);
    } finally {
      running = false;
    }
  }
  const stop = await api.followChanges((message) => {
    if (stopped) return;
    if (message.kind === "resync" || concerns(message.change)) void run();
  });
  return () => {
    stopped = true;
    stop();
  };
}

/**
 * {@link reloadOnChange} for a screen's lifetime: follows the changes, then loads once; gives a
 * function that closes it (before or after the subscription answered). `failed` gets a feed
 * that could not start.
 */
export function reloadWhileOpen(
  api: Pick<EnvironmentsApi, "followChanges">,
  concerns: (change: Change) => boolean,
  reload: () => Promise<void>,
  failed: (raw: unknown) => void,
): () => void {
  let stop: (() => void) | undefined;
  let closed = false;
  reloadOnChange(api, concerns, reload)
    .then((started) => {
      if (closed) started();
      else stop = started;
    })
    .catch(failed)
    .finally(() => {
      if (!closed) void reload();
    });
  return () => {
    closed = true;
    stop?.();
  };
}
