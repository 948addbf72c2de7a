// The journal beside a database file (docs/store.md): one framed record per
// acknowledged write batch,
//   [u32 LE length][u32 LE crc32 of the JSON bytes][JSON bytes]
// appended with group commit: every record queued while a write+fsync runs goes out in the next
// single write followed by one fsync. Exclusive tasks (trim at a checkpoint, reset at a resync)
// run between batches. On open the file is scanned; a torn or corrupt record and everything
// after it are cut off with a warning (nothing after the last fsync was ever acknowledged).
import { readFileSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../shared/logger';
import { KmtError } from '../shared/errors';
import type { ChangeRecord } from './records';

const HEADER = 8;
/** Larger than any record can be (8 MiB write bodies): a bigger length is a corrupt header. */
const MAX_RECORD = 256 * 1024 * 1024;

export function encodeRecord(json: string): Buffer {
  // The JSON is encoded straight into the frame (one copy: records of bulk writes are megabytes).
  const length = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(HEADER + length);
  frame.write(json, HEADER, 'utf8');
  frame.writeUInt32LE(length, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
  return frame;
}

export interface JournalScan {
  /** Every intact record, in file order, with seqs contiguous. */
  readonly records: ChangeRecord[];
  /** Byte offset of each record's frame. */
  readonly offsets: number[];
  /** Bytes kept (the file is truncated to this). */
  readonly bytes: number;
  /** Bytes cut off the end, and why; 0 / '' when the file was intact. */
  readonly dropped: number;
  readonly reason: string;
}

/** Reads the records of a journal's bytes, stopping at the first torn or corrupt one. */
export function scanJournal(buf: Buffer): JournalScan {
  const records: ChangeRecord[] = [];
  const offsets: number[] = [];
  let pos = 0;
  let reason = '';
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) {
      reason = 'torn record header';
      break;
    }
    const len = buf.readUInt32LE(pos);
    if (len > MAX_RECORD) {
      reason = `corrupt record header (length ${len})`;
      break;
    }
    if (buf.length - pos - HEADER < len) {
      reason = `torn record (${buf.length - pos - HEADER} of ${len} bytes)`;
      break;
    }
    const body = buf.subarray(pos + HEADER, pos + HEADER + len);
    if (crc32(body) !== buf.readUInt32LE(pos + 4)) {
      reason = 'corrupt record (checksum mismatch)';
      break;
    }
    let record: ChangeRecord;
    try {
      record = JSON.parse(body.toString('utf8')) as ChangeRecord;
    } catch {
      reason = 'corrupt record (not JSON)';
      break;
    }
    if (!Number.isSafeInteger(record?.seq) || !Array.isArray(record.ops)) {
      reason = 'corrupt record (no seq or ops)';
      break;
    }
    const prev = records[records.length - 1];
    if (prev && record.seq !== prev.seq + 1) {
      reason = `seq ${record.seq} after ${prev.seq}`;
      break;
    }
    records.push(record);
    offsets.push(pos);
    pos += HEADER + len;
  }
  return { records, offsets, bytes: pos, dropped: buf.length - pos, reason };
}

export interface JournalStats {
  /** write() calls (one per group). */
  writes: number;
  /** fsyncs of the journal (one per group in fsync mode). */
  fsyncs: number;
  /** Records appended since open. */
  records: number;
}

type Item =
  | { readonly kind: 'append'; readonly frame: Buffer; readonly seq: number; readonly done?: () => void; resolve(): void; reject(err: Error): void }
  | { readonly kind: 'task'; readonly run: () => Promise<void>; resolve(): void; reject(err: Error): void };

export class Journal {
  readonly path: string;
  readonly stats: JournalStats = { writes: 0, fsyncs: 0, records: 0 };
  readonly #fsync: boolean;
  #fh: FileHandle;
  #size: number;
  /** [seq, offset] of every record in the file, for trimming. */
  #index: Array<[number, number]>;
  #queue: Item[] = [];
  #running = false;
  #failed: Error | undefined;
  #idle: Array<() => void> = [];
  /**
   * Runs synchronously once per written group, after every `done` of its records and before
   * any append promise resolves: where the master applies a group in one step.
   */
  onGroupWritten: (() => void) | undefined;

  private constructor(path: string, fh: FileHandle, size: number, index: Array<[number, number]>, fsync: boolean) {
    this.path = path;
    this.#fh = fh;
    this.#size = size;
    this.#index = index;
    this.#fsync = fsync;
  }

  /** Opens (creating) the journal, returning its intact records; a bad tail is cut off. */
  static async open(path: string, opts: { fsync: boolean; logger: Logger }): Promise<{ journal: Journal; records: ChangeRecord[] }> {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new KmtError('KMT_DB', `cannot read journal ${path}: ${(err as Error).message}`);
      buf = Buffer.alloc(0);
    }
    const scan = scanJournal(buf);
    const fh = await open(path, 'a+');
    if (scan.dropped > 0) {
      opts.logger.warn(
        { event: 'journal_tail_dropped', file: path, kept_records: scan.records.length, kept_bytes: scan.bytes, dropped_bytes: scan.dropped, reason: scan.reason },
        `journal ${path}: dropped a ${scan.reason} at its end (${scan.dropped} bytes; never acknowledged)`,
      );
      await fh.truncate(scan.bytes);
      await fh.sync();
    }
    const index = scan.records.map((r, i): [number, number] => [r.seq, scan.offsets[i]]);
    return { journal: new Journal(path, fh, scan.bytes, index, opts.fsync), records: scan.records };
  }

  /** Bytes in the file. */
  get bytes(): number {
    return this.#size;
  }

  /** Why appends fail, once a write or fsync failed (the file's tail is then unknown). */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /**
   * Queues a framed record. `done` runs synchronously once it is written (and fsynced in fsync
   * mode), in append order, before the returned promise resolves.
   */
  append(frame: Buffer, seq: number, done?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#queue.push({ kind: 'append', frame, seq, done, resolve, reject });
      void this.#drain();
    });
  }

  /** Queues framed records (in order) so that they share one write: a follower's feed answer. */
  appendMany(items: ReadonlyArray<readonly [frame: Buffer, seq: number]>): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const all = items.map(([frame, seq]) => new Promise<void>((resolve, reject) => this.#queue.push({ kind: 'append', frame, seq, resolve, reject })));
    void this.#drain();
    return Promise.all(all).then(() => undefined);
  }

  /** Rewrites the journal to hold only the records after `seq` (crash-safe: temp, fsync, rename). */
  trim(seq: number): Promise<void> {
    return this.#task(async () => {
      let first = this.#index.findIndex(([s]) => s > seq);
      if (first < 0) first = this.#index.length;
      if (first === 0) return;
      const from = first < this.#index.length ? this.#index[first][1] : this.#size;
      const rest = Buffer.allocUnsafe(this.#size - from);
      if (rest.length > 0) await this.#fh.read(rest, 0, rest.length, from);
      await this.#replace(rest);
      this.#index = this.#index.slice(first).map(([s, off]) => [s, off - from]);
    });
  }

  /** Empties the journal (a resync replaced the data it followed). */
  reset(): Promise<void> {
    return this.#task(async () => {
      await this.#replace(Buffer.alloc(0));
      this.#index = [];
    });
  }

  /** Resolves once everything queued so far is written. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    await this.#fh.close();
  }

  #task(run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#queue.push({ kind: 'task', run, resolve, reject });
      void this.#drain();
    });
  }

  /** New content through a temp file renamed over the journal, then the directory fsynced. */
  async #replace(content: Buffer): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w');
    try {
      if (content.length > 0) await fh.write(content, 0, content.length, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await fsyncDir(dirname(this.path));
    await this.#fh.close();
    this.#fh = await open(this.path, 'a+');
    this.#size = content.length;
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if (head.kind === 'task') {
          this.#queue.shift();
          try {
            await head.run();
            head.resolve();
          } catch (err) {
            head.reject(err as Error);
          }
          continue;
        }
        // Everything queued up to the next task shares one write and one fsync.
        let n = 0;
        while (n < this.#queue.length && this.#queue[n].kind === 'append') n++;
        const group = this.#queue.splice(0, n) as Array<Extract<Item, { kind: 'append' }>>;
        try {
          await this.#write(group);
        } catch (err) {
          this.#fail(err as Error, group);
          return;
        }
        for (const item of group) item.done?.();
        this.onGroupWritten?.();
        for (const item of group) item.resolve();
      }
    } finally {
      this.#running = false;
      const waiting = this.#idle.splice(0);
      for (const fn of waiting) fn();
    }
  }

  async #write(group: Array<Extract<Item, { kind: 'append' }>>): Promise<void> {
    const data = group.length === 1 ? group[0].frame : Buffer.concat(group.map((g) => g.frame));
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.#fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.stats.writes++;
    if (this.#fsync) {
      await this.#fh.datasync();
      this.stats.fsyncs++;
    }
    let at = this.#size;
    for (const g of group) {
      this.#index.push([g.seq, at]);
      at += g.frame.length;
    }
    this.#size += data.length;
    this.stats.records += group.length;
  }

  /** A failed write leaves the file's tail unknown: refuse everything from now on. */
  #fail(err: Error, group: Array<Extract<Item, { kind: 'append' }>>): void {
    this.#failed = new KmtError('KMT_UNAVAILABLE', `the journal ${this.path} cannot be written (${err.message}); restart the node once the disk is fixed`, { cause: err });
    for (const item of [...group, ...this.#queue.splice(0)]) item.reject(this.#failed);
  }
}

/** fsync of a directory, so a rename in it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

