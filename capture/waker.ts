// A wait a capture worker's stop can cut short: the sleep between live reads or retries, or
// the wait for a batch to come back.

/** One pending wait at a time (a worker's read loop), ended early by wake(). */
export class Waker {
  #wake: (() => void) | undefined;

  /** Resolves after `ms`, or at the next wake() if that comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Resolves at the next wake(). */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  /** Ends the pending sleep or wait, if any. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
