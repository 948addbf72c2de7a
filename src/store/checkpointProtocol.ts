// Messages between the durable store (main thread) and its checkpoint worker.

export type ToWorker =
  /** Load (or reload after a resync) the database file. Answered with `opened`. */
  | { readonly type: 'open'; readonly id: number; readonly file: string }
  /**
   * Apply change records in order (their journal JSON), one transaction for all of them. Not
   * answered; a failure breaks the worker.
   */
  | { readonly type: 'apply'; readonly jsons: readonly string[] }
  /** Record seq and dataset, export, write `tmp` and fsync it. Answered with `checkpointed`. */
  | { readonly type: 'checkpoint'; readonly id: number; readonly tmp: string; readonly dataset: string };

export type FromWorker =
  | { readonly type: 'opened'; readonly id: number; readonly seq: number }
  | { readonly type: 'checkpointed'; readonly id: number; readonly seq: number; readonly bytes: number; readonly exportMs: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };
