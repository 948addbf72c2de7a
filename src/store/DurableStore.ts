// The durable, updatable store both node roles use (docs/store.md): the in-memory
// FinanceStore, a journal beside the database file (`<db>.journal`), and a checkpoint worker
// owning a sql.js copy that rewrites the file atomically.
//
// A commit on the master: seq -> journal append (group commit, fsync) -> apply to memory in one
// synchronous step -> onApplied listeners -> resolve. A follower applies first (the master has
// the record on disk) and journals behind it. A checkpoint: the worker exports and writes
// `<db>.tmp-<pid>` (fsynced); here it is renamed over the file, the directory fsynced, then the
// journal trimmed to the records after the checkpoint's seq. A crash between any two steps
// leaves a file plus a journal holding every record after the file's seq.
import { existsSync, linkSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { applyRecords, applyRecordsCounted, emptyEffect } from './applyRecord';
import type { FromWorker, ToWorker } from './checkpointProtocol';
import { FinanceStore } from './FinanceStore';
import { encodeRecord, fsyncDir, Journal, type JournalStats } from './Journal';
import type { ApplyEffect, ChangeRecord, WriteOp } from './records';

export interface DurableStoreOptions {
  /** The SQLite file; the journal is `<db>.journal` beside it. */
  readonly db: string;
  /** false on followers: the master already has every record on disk. */
  readonly fsync: boolean;
  /** Checkpoint after this many records (default 10,000). */
  readonly checkpointRecords?: number;
  /** Checkpoint once the journal holds this many bytes (default 64 MiB). */
  readonly checkpointBytes?: number;
  readonly logger: Logger;
}

export interface CheckpointResult {
  readonly seq: number;
  readonly bytes: number;
  readonly ms: number;
}

export const DEFAULT_CHECKPOINT_RECORDS = 10_000;
export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;

type Listener = (record: ChangeRecord, effect: ApplyEffect) => void;

export class DurableStore {
  readonly path: string;
  readonly #logger: Logger;
  readonly #journal: Journal;
  readonly #worker: CheckpointWorker;
  readonly #checkpointRecords: number;
  readonly #checkpointBytes: number;
  readonly #listeners = new Set<Listener>();
  #store: FinanceStore;
  #dataset: string;
  /** Highest seq handed out (>= the applied seq while commits wait for their fsync). */
  #assigned: number;
  /** The records the journal holds, contiguous, ending at the applied seq; tail[i].seq = base + 1 + i. */
  #tail: ChangeRecord[];
  #base: number;
  /** The file on disk: seq of its last checkpoint (or as opened). */
  #fileSeq: number;
  #checkpointing: Promise<CheckpointResult> | undefined;
  #autoPending = false;
  #closed = false;
  /** Master: records of the group the journal is writing, applied together once it is on disk. */
  #durable: Array<{ readonly record: ChangeRecord; readonly json: string; effect?: ApplyEffect }> = [];
  /** The journal JSON of each record in the tail: the feed sends it as it is, not stringified again. */
  readonly #json = new WeakMap<ChangeRecord, string>();

  private constructor(o: DurableStoreOptions, store: FinanceStore, journal: Journal, worker: CheckpointWorker, dataset: string) {
    this.path = o.db;
    this.#logger = o.logger;
    this.#store = store;
    this.#journal = journal;
    journal.onGroupWritten = () => this.#applyDurable();
    this.#worker = worker;
    this.#dataset = dataset;
    this.#checkpointRecords = o.checkpointRecords ?? DEFAULT_CHECKPOINT_RECORDS;
    this.#checkpointBytes = o.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    this.#assigned = store.seq;
    this.#fileSeq = store.seq;
    this.#tail = [];
    this.#base = store.seq;
  }

  /** Loads the file, replays the journal (records after the file's seq), starts the worker. */
  static async open(o: DurableStoreOptions): Promise<DurableStore> {
    removeLeftovers(o.db, o.logger);
    const worker = new CheckpointWorker(o.logger);
    try {
      // The worker loads its copy meanwhile, at low priority: serving does not wait for it
      // (messages are handled in order, so the records replayed below follow its load).
      worker.open(o.db).catch((err: unknown) => o.logger.error({ err, event: 'checkpoint_worker_failed' }, 'the checkpoint worker cannot load the database; checkpoints will fail'));
      // The dataset id of a never-checkpointed file is its hash, computed here.
      const store = await FinanceStore.open(o.db, { fingerprint: true, forWrites: true });
      const { journal, records } = await Journal.open(`${o.db}.journal`, { fsync: o.fsync, logger: o.logger });
      const ds = new DurableStore(o, store, journal, worker, store.dataset);
      ds.#replay(records);
      ds.#prefault();
      return ds;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /**
   * Touches the frame memory writes will use, a slice per turn of the event loop, so neither
   * writes nor the first compaction pay its page faults while requests wait.
   */
  #prefault(): void {
    const store = this.#store;
    const step = (): void => {
      if (!this.#closed && store === this.#store && store.prefault()) setImmediate(step);
    };
    step();
  }

  #replay(records: ChangeRecord[]): void {
    const t0 = performance.now();
    const store = this.#store;
    const fileSeq = store.seq;
    const after = records.filter((r) => r.seq > fileSeq);
    if (after.length > 0 && after[0].seq !== fileSeq + 1) {
      throw new KmtError(
        'KMT_DB',
        `${this.#journal.path} continues at seq ${after[0].seq} but ${this.path} is at seq ${fileSeq}: the database file was replaced under its journal; ` +
          `restore the matching file, or move the journal away to start from the file as it is`,
      );
    }
    // One step: nobody reads yet, and a subject written by many records is copied once.
    applyRecords(store, after);
    for (const r of after) this.#worker.apply(JSON.stringify(r));
    this.#assigned = store.seq;
    // The feed serves what the journal holds, when it reaches the applied seq without a gap.
    const last = records[records.length - 1];
    if (last && last.seq === store.seq) {
      this.#tail = records;
      this.#base = records[0].seq - 1;
    } else {
      this.#tail = [];
      this.#base = store.seq;
    }
    if (after.length > 0) {
      this.#logger.info(
        { event: 'journal_replayed', file: this.#journal.path, records: after.length, from_seq: fileSeq, seq: store.seq, ms: Math.round(performance.now() - t0) },
        `replayed ${after.length} journal records (seq ${fileSeq + 1}..${store.seq})`,
      );
    }
    this.#maybeCheckpoint();
  }

  /** Current data; a new object after `replaceFrom`. */
  get store(): FinanceStore {
    return this.#store;
  }

  /** Last applied seq. */
  get seq(): number {
    return this.#store.seq;
  }

  /**
   * Which data this is: the id kept in the file, or for a file never checkpointed one derived
   * from its bytes (`sha1-...`), so copies of one file agree. Never empty once open.
   */
  get dataset(): string {
    return this.#dataset;
  }

  /** Journal counters (group commit: fsyncs <= records). */
  get journalStats(): Readonly<JournalStats> & { readonly bytes: number } {
    return { ...this.#journal.stats, bytes: this.#journal.bytes };
  }

  /**
   * Master: one write batch as the next record. Resolves once the record is on disk and
   * applied (readers never see data that is not durable); rejects (503) when the journal
   * cannot be written or the store is closing.
   */
  commit(ops: WriteOp[]): Promise<{ record: ChangeRecord; effect: ApplyEffect }> {
    if (this.#closed) return Promise.reject(new KmtError('KMT_UNAVAILABLE', 'the node is shutting down; retry on the new master'));
    const record: ChangeRecord = { seq: ++this.#assigned, time: Date.now(), ops };
    const entry: { record: ChangeRecord; json: string; effect?: ApplyEffect } = { record, json: JSON.stringify(record) };
    // Applied with the rest of its group once written (#applyDurable), in seq order.
    return this.#journal.append(encodeRecord(entry.json), record.seq, () => this.#durable.push(entry)).then(() => ({ record, effect: entry.effect! }));
  }

  /** The group just written, as one step: one copy per touched subject, one invalidation. */
  #applyDurable(): void {
    const group = this.#durable;
    if (group.length === 0) return;
    this.#durable = [];
    const records = group.map((g) => g.record);
    const { effect, counts } = applyRecordsCounted(this.#store, records);
    // Each write answers its own counts; the tags are the group's (the listeners drop them once).
    group.forEach((g, i) => (g.effect = { ...counts[i], subjects: effect.subjects, topics: effect.topics }));
    this.#applied(records, group.map((g) => g.json), effect);
  }

  /**
   * Follower: applies a record of the master's feed synchronously and journals it behind.
   * A record at or below the applied seq is ignored (empty effect); a gap is refused.
   */
  applyReplicated(record: ChangeRecord): ApplyEffect {
    return this.applyReplicatedBatch([record]);
  }

  /**
   * Follower: applies consecutive feed records (a feed answer) as one synchronous step, one
   * invalidation for all, and journals them behind. Records at or below the applied seq are
   * skipped; a gap is refused before anything is applied.
   */
  applyReplicatedBatch(records: readonly ChangeRecord[]): ApplyEffect {
    const fresh = records.filter((r) => r.seq > this.#store.seq);
    if (fresh.length === 0) return emptyEffect();
    for (let i = 0; i < fresh.length; i++) {
      const want = this.#store.seq + 1 + i;
      if (fresh[i].seq !== want) throw new KmtError('KMT_UNAVAILABLE', `record seq ${fresh[i].seq} does not follow the applied seq ${want - 1}`);
    }
    const jsons = fresh.map((r) => JSON.stringify(r));
    this.#assigned = fresh[fresh.length - 1].seq;
    const effect = applyRecords(this.#store, fresh);
    this.#applied(fresh, jsons, effect);
    this.#journal.appendMany(fresh.map((r, i) => [encodeRecord(jsons[i]), r.seq] as const)).catch((err: unknown) => {
      this.#logger.error({ err, event: 'journal_failed' }, 'cannot journal a replicated record; a restart will resync');
    });
    return effect;
  }

  /** After records were applied as one step: feed tail, worker, listeners (once), checkpoint. */
  #applied(records: readonly ChangeRecord[], jsons: readonly string[], effect: ApplyEffect): void {
    for (let i = 0; i < records.length; i++) {
      this.#tail.push(records[i]);
      this.#json.set(records[i], jsons[i]);
    }
    for (const json of jsons) this.#worker.apply(json);
    const last = records[records.length - 1];
    for (const fn of this.#listeners) {
      try {
        fn(last, effect);
      } catch (err) {
        this.#logger.error({ err, seq: last.seq }, 'an onApplied listener failed');
      }
    }
    this.#maybeCheckpoint();
  }

  /**
   * Feed: up to `maxRecords` records after `seq`, or 'gone' when the journal no longer holds
   * them (trimmed at a checkpoint) or `seq` is ahead of this store (other data): resync.
   */
  recordsAfter(seq: number, maxRecords: number): ChangeRecord[] | 'gone' {
    if (seq < this.#base || seq > this.#store.seq) return 'gone';
    const from = seq - this.#base;
    return this.#tail.slice(from, from + Math.max(0, maxRecords));
  }

  /** A record's JSON as the journal holds it (kept for the records applied since start). */
  recordJson(record: ChangeRecord): string {
    return this.#json.get(record) ?? JSON.stringify(record);
  }

  /**
   * Called synchronously after each apply step (master and follower) with its last record and
   * the union effect of its records: once per group commit or feed answer, not per record.
   */
  onApplied(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Writes the file at the applied seq and trims the journal. One at a time. */
  checkpoint(): Promise<CheckpointResult> {
    const prev = this.#checkpointing;
    const next = (async () => {
      if (prev) await prev.catch(() => undefined);
      return this.#runCheckpoint();
    })();
    this.#checkpointing = next;
    void next.finally(() => {
      if (this.#checkpointing === next) this.#checkpointing = undefined;
    }).catch(() => undefined);
    return next;
  }

  async #runCheckpoint(): Promise<CheckpointResult> {
    const t0 = performance.now();
    const tmp = `${this.path}.tmp-${process.pid}`;
    const r = await this.#worker.checkpoint(tmp, this.#dataset);
    // Renamed here, in one tick with #fileSeq, so `checkpointFile()` + a synchronous open agree.
    // Renaming over the old file would free its blocks inside the call (~70 ms for 150 MB):
    // a second link keeps it alive, and is unlinked off the main thread afterwards.
    const old = `${this.path}.old-${process.pid}`;
    try {
      linkSync(this.path, old);
    } catch {
      /* no old file (or a leftover link): the rename frees it in place */
    }
    renameSync(tmp, this.path);
    this.#fileSeq = r.seq;
    void unlink(old).catch(() => undefined);
    await fsyncDir(dirname(this.path));
    await this.#journal.trim(r.seq);
    const drop = Math.max(0, Math.min(this.#tail.length, r.seq - this.#base));
    this.#tail = this.#tail.slice(drop);
    this.#base += drop;
    const ms = performance.now() - t0;
    this.#logger.info({ event: 'checkpoint', file: this.path, seq: r.seq, bytes: r.bytes, export_ms: Math.round(r.exportMs), ms: Math.round(ms) }, `checkpoint at seq ${r.seq}`);
    return { seq: r.seq, bytes: r.bytes, ms };
  }

  /** A checkpoint when the journal passed a threshold; never awaited, failures logged. */
  #maybeCheckpoint(): void {
    if (this.#autoPending || this.#closed) return;
    const records = this.#store.seq - this.#fileSeq;
    if (records < this.#checkpointRecords && this.#journal.bytes < this.#checkpointBytes) return;
    if (records === 0) return;
    this.#autoPending = true;
    this.checkpoint()
      .catch((err: unknown) => this.#logger.error({ err, event: 'checkpoint_failed' }, 'checkpoint failed; the journal keeps every record'))
      .finally(() => {
        this.#autoPending = false;
      });
  }

  /**
   * The file a dump serves: its path, and the seq and dataset it holds. Open it synchronously
   * (fs.openSync) right after this call: a checkpoint renames a new file over it.
   */
  checkpointFile(): { path: string; seq: number; dataset: string } {
    return { path: this.path, seq: this.#fileSeq, dataset: this.#dataset };
  }

  /**
   * Follower resync: `file` (a dump of the master's database at `seq`, fsynced, on the same
   * file system) replaces the data. The journal is emptied first, so a crash in between leaves
   * the old file at its own seq, never the new file with the old records.
   * Do not call applyReplicated until it resolves.
   */
  async replaceFrom(file: string, seq: number, dataset: string): Promise<void> {
    if (this.#checkpointing) await this.#checkpointing.catch(() => undefined);
    await this.#journal.reset();
    await rename(file, this.path);
    await fsyncDir(dirname(this.path));
    const opened = this.#worker.open(this.path);
    const store = await FinanceStore.open(this.path, { fingerprint: false, forWrites: true });
    await opened;
    // The file's own record of what it holds ('' when it was never checkpointed).
    const fileDataset = store.dataset;
    if (fileDataset !== '' && (fileDataset !== dataset || store.seq !== seq)) {
      throw new KmtError('KMT_DB', `the dump holds dataset ${fileDataset} at seq ${store.seq}, not ${dataset} at seq ${seq}`);
    }
    store.seq = seq;
    store.dataset = dataset;
    this.#store = store;
    this.#dataset = dataset;
    this.#assigned = seq;
    this.#tail = [];
    this.#base = seq;
    this.#fileSeq = seq;
    this.#prefault();
    this.#logger.info({ event: 'resynced', file: this.path, seq, dataset, rows: store.totalRecords }, `data replaced from a dump at seq ${seq}`);
    // A file that does not record seq and dataset yet gets them now, so a restart knows them.
    if (fileDataset === '') await this.checkpoint();
  }

  /** Flushes the journal, checkpoints what the file lacks, stops the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#journal.idle();
    try {
      if (this.#checkpointing) await this.#checkpointing.catch(() => undefined);
      if (this.#store.seq > this.#fileSeq && !this.#journal.failed) await this.checkpoint();
    } catch (err) {
      this.#logger.error({ err, event: 'checkpoint_failed' }, 'final checkpoint failed; the journal keeps every record');
    } finally {
      await this.#journal.close();
      await this.#worker.terminate();
    }
  }
}

/** Temp files and old links a crash left beside the database and its journal. */
function removeLeftovers(db: string, logger: Logger): void {
  const dir = dirname(db);
  const prefixes = [`${basename(db)}.tmp-`, `${basename(db)}.old-`, `${basename(db)}.journal.tmp-`];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    try {
      unlinkSync(join(dir, name));
      logger.info({ event: 'leftover_removed', file: join(dir, name) }, 'removed a file an interrupted checkpoint left behind');
    } catch {
      /* gone already */
    }
  }
}

/** The worker thread and its request/answer bookkeeping. */
class CheckpointWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(m: FromWorker): void; reject(err: Error): void }>();
  #nextId = 1;
  #dead: Error | undefined;
  /** Records applied in this turn of the event loop: posted as one message (one transaction). */
  #batch: string[] = [];
  #flushScheduled = false;

  constructor(logger: Logger) {
    this.#worker = startWorker();
    // Only a pending request keeps the process alive (see #request), not an idle worker.
    this.#worker.unref();
    this.#worker.on('message', (m: FromWorker) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.type === 'failed') p.reject(new KmtError('KMT_DB', m.message));
      else p.resolve(m);
    });
    const die = (err: Error): void => {
      this.#dead ??= err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => {
      logger.error({ err, event: 'checkpoint_worker_failed' }, 'the checkpoint worker failed; checkpoints stop, the journal keeps every record');
      die(err);
    });
    this.#worker.on('exit', (code) => die(new Error(`the checkpoint worker exited (${code})`)));
  }

  open(file: string): Promise<Extract<FromWorker, { type: 'opened' }>> {
    return this.#request({ type: 'open', id: this.#nextId++, file }) as Promise<Extract<FromWorker, { type: 'opened' }>>;
  }

  checkpoint(tmp: string, dataset: string): Promise<Extract<FromWorker, { type: 'checkpointed' }>> {
    return this.#request({ type: 'checkpoint', id: this.#nextId++, tmp, dataset }) as Promise<Extract<FromWorker, { type: 'checkpointed' }>>;
  }

  apply(json: string): void {
    if (this.#dead) return;
    this.#batch.push(json);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#batch.length === 0 || this.#dead) return;
    const jsons = this.#batch;
    this.#batch = [];
    this.#worker.postMessage({ type: 'apply', jsons } satisfies ToWorker);
  }

  async terminate(): Promise<void> {
    if (this.#dead) return;
    await this.#worker.terminate();
  }

  #request(m: Extract<ToWorker, { id: number }>): Promise<FromWorker> {
    if (this.#dead) return Promise.reject(this.#dead);
    this.#flush(); // the records applied before the request, in order
    return new Promise((resolve, reject) => {
      this.#pending.set(m.id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage(m);
    });
  }
}

/**
 * dist/checkpoint-worker.mjs beside the bundle; from source, checkpointWorker.ts through tsx's
 * API (Node 20 does not carry the main thread's `--import tsx` hooks into worker threads).
 */
function startWorker(): Worker {
  const bundled = new URL('./checkpoint-worker.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled);
  const source = new URL('./checkpointWorker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`, { eval: true });
}
