// The durable, updatable store both node roles use (docs/design.md, "Writes"): the in-memory
// FinanceStore, a journal beside the database file, and a checkpoint worker owning a sql.js copy.
// STUB: the signatures are final; the bodies land in the following commits.
import type { Logger } from '../shared/logger';
import type { FinanceStore } from './FinanceStore';
import type { ApplyEffect, ChangeRecord, WriteOp } from './records';

export interface DurableStoreOptions {
  /** The SQLite file; the journal is `<db>.journal` beside it. */
  readonly db: string;
  /** false on followers: the master already has every record on disk. */
  readonly fsync: boolean;
  /** Checkpoint after this many records (default 10,000). */
  readonly checkpointRecords?: number;
  /** Checkpoint after this many journal bytes (default 64 MiB). */
  readonly checkpointBytes?: number;
  readonly logger: Logger;
  /** Compute the file's sha1 when it was never written (cache snapshot fingerprint). */
  readonly fingerprint?: boolean;
}

export interface CheckpointResult {
  readonly seq: number;
  readonly bytes: number;
  readonly ms: number;
}

export class DurableStore {
  private constructor() {}

  static async open(o: DurableStoreOptions): Promise<DurableStore> {
    void o;
    throw new Error('DurableStore.open: not yet');
  }

  /** Current data; a new object after `replaceFrom`. */
  get store(): FinanceStore {
    throw new Error('not yet');
  }

  /** Last applied seq. */
  get seq(): number {
    throw new Error('not yet');
  }

  /** Dataset id ('' until the first checkpoint). */
  get dataset(): string {
    throw new Error('not yet');
  }

  /** Master: journal (fsync) + apply + notify; resolves once durable. */
  commit(ops: WriteOp[]): Promise<{ record: ChangeRecord; effect: ApplyEffect }> {
    void ops;
    throw new Error('not yet');
  }

  /** Follower: record.seq must be seq + 1; applied synchronously, journaled asynchronously. */
  applyReplicated(record: ChangeRecord): ApplyEffect {
    void record;
    throw new Error('not yet');
  }

  /** Feed: the records after `seq` the journal still holds, or 'gone'. */
  recordsAfter(seq: number, maxRecords: number): ChangeRecord[] | 'gone' {
    void seq;
    void maxRecords;
    throw new Error('not yet');
  }

  onApplied(fn: (record: ChangeRecord, effect: ApplyEffect) => void): () => void {
    void fn;
    throw new Error('not yet');
  }

  checkpoint(): Promise<CheckpointResult> {
    throw new Error('not yet');
  }

  /** The last checkpoint's file (for the dump endpoint). */
  checkpointFile(): { path: string; seq: number; dataset: string } {
    throw new Error('not yet');
  }

  /** Follower resync: replace the data with a downloaded file at a known seq. */
  replaceFrom(file: string, seq: number, dataset: string): Promise<void> {
    void file;
    void seq;
    void dataset;
    throw new Error('not yet');
  }

  /** Flush the journal, final checkpoint, stop the worker. */
  close(): Promise<void> {
    throw new Error('not yet');
  }
}
