// When the cache snapshot is written: on a timer and at shutdown, one save at a time. A save
// asked for while another runs starts after it, and every caller waiting meanwhile shares that
// one, so a periodic save and the shutdown save never write at once.
import { writeSnapshot, type SnapshotEntry } from './SnapshotFile';

export interface SnapshotSource {
  /** Identity of the data the entries were built from. */
  readonly fingerprint: string;
  /** Entries least recently used first, read lazily while the file is written. */
  readonly entries: Iterable<SnapshotEntry>;
}

export interface SaveResult {
  readonly bytes: number;
  readonly entries: number;
  readonly ms: number;
}

export class SnapshotSaver {
  readonly path: string;
  readonly #source: () => SnapshotSource;
  #running: Promise<SaveResult> | null = null;
  #next: Promise<SaveResult> | null = null;

  constructor(path: string, source: () => SnapshotSource) {
    this.path = path;
    this.#source = source;
  }

  save(): Promise<SaveResult> {
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    const after = this.#running.then(
      () => undefined,
      () => undefined,
    );
    this.#next = after.then(() => {
      this.#next = null;
      return this.#start();
    });
    return this.#next;
  }

  /** Resolves once no save is running or waiting. */
  async idle(): Promise<void> {
    while (this.#running || this.#next) await (this.#next ?? this.#running)?.catch(() => undefined);
  }

  #start(): Promise<SaveResult> {
    const started = performance.now();
    const run = (async () => {
      const { fingerprint, entries } = this.#source();
      const r = await writeSnapshot(this.path, fingerprint, entries);
      return { ...r, ms: Math.round(performance.now() - started) };
    })();
    this.#running = run;
    const clear = (): void => {
      if (this.#running === run) this.#running = null;
    };
    run.then(clear, clear);
    return run;
  }
}
