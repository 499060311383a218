/**
 * One slow blink shared by everything in progress (a running status's dot, a running task's
 * bar): `dim` flips once a second while anything holds it.
 *
 * A CSS animation that never ends makes WebKit draw a frame every 16 ms for as long as it
 * shows: with one deploy running, the window at rest cost about 150 % of a core in WebKit's
 * web process and 5 % in the app, against 0.1 % and 0.3 % without it (benches/idle-cpu.sh,
 * BENCHMARKS.md). A class flipped once a second draws twice a second. Nothing blinks for a
 * user who asks for reduced motion.
 */
class Blink {
  dim = $state(false);
  #holders = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts the blink, if it is not running, for as long as the returned release is not called. */
  hold(): () => void {
    if (reducedMotion()) return () => {};
    this.#holders += 1;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => (this.dim = !this.dim), 1000);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holders -= 1;
      if (this.#holders === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.dim = false;
      }
    };
  }
}

function reducedMotion(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export const blink = new Blink();
