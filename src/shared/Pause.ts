// A pause a loop takes between tries that `stop()` can cut short: the feed followers (slaves'
// and the gateway's) wait between polls with it and end at once when they are stopped.

export class Pause {
  #wake: (() => void) | undefined;

  /** Resolves after `ms`, or at once when `wake()` is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** Ends the current sleep, if any. */
  wake(): void {
    this.#wake?.();
  }
}
