// Offline import into a database file (docs/import.md): the file is opened with sql.js, rows are
// upserted by (subject_key, report_date) with the store's BulkUpsert (one bound JSON text per
// run of rows: new keys INSERTed, known ones UPDATEd), a batch per transaction, and the file is
// replaced atomically at the end (temp file, fsync, rename, fsync of the directory). Until then
// nothing on disk changes, so a failed or --strict import leaves the file as it was.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Database } from 'sql.js';
import { rowValidator, writableColumns } from '../query/writeRequest';
import { KmtError } from '../shared/errors';
import { BulkUpsert, foldByKey } from '../store/bulkUpsert';
import { SqlApplier } from '../store/checkpointSql';
import type { ReportRow } from '../store/records';
import { discoverSchema, META_TABLE, TABLE } from '../store/schema';
import { loadSqlJs, openWithRoom } from '../store/sqljs';
import { CREATE_INDEXES_SQL, CREATE_TABLE_SQL } from '../gendata/table';
import type { ImportFormat, ReadContext } from './sources';

/** Rows per transaction at most (batches are joined up to it). */
const TRANSACTION_ROWS = 50_000;

export interface Sink {
  readonly context: ReadContext;
  readonly target: string;
  /** Applies one batch; resolves when it is applied. Rows the target refused come back (online only). */
  write(rows: ReportRow[]): Promise<{ refused: Array<{ index: number; message: string }> }>;
  /** Makes everything written permanent. */
  finish(): Promise<void>;
  /** Drops everything not yet made permanent. */
  abort(): Promise<void>;
}

export function journalOf(db: string): string {
  return `${db}.journal`;
}

/**
 * Bytes of database per byte of input, a little above what gen-data's files give (docs/import.md,
 * Speed): the room the database file gets up front, so sql.js's in-memory file need not grow.
 */
const DB_BYTES_PER_INPUT_BYTE: Record<ImportFormat, number> = { csv: 1.3, ndjson: 0.55, sql: 1.15 };

/** What a database of only these inputs' rows would take (an estimate): the room a new file gets. */
export function roomFor(inputs: ReadonlyArray<{ bytes: number; format: ImportFormat }>): number {
  let room = 0;
  for (const i of inputs) room += i.bytes * DB_BYTES_PER_INPUT_BYTE[i.format];
  return room;
}

/**
 * `room`: roomFor the inputs; only speed and memory depend on it. A new file gets all of it; an
 * existing one only what the estimate exceeds its size by: a file as big as the estimate most
 * likely gets updates (rewritten in place), and room it does not use would only cost memory
 * (a re-import of 618,467 rows peaked 220 MB higher and was no faster).
 */
export async function openFileSink(file: string, room = 0): Promise<Sink> {
  const path = resolve(file);
  if (existsSync(journalOf(path))) {
    throw new KmtError(
      'KMT_DB',
      `${file}: ${journalOf(file)} sits beside it, so a node serves this file (or did, and its journal may hold writes the file lacks); ` +
        'import into the running cluster with --to <master or gateway url>, or stop the node and import into a copy',
    );
  }
  const SQL = await loadSqlJs();
  let db: Database;
  let indexesPending = false;
  if (existsSync(path)) {
    try {
      const image = await readFile(path);
      db = openWithRoom(SQL, image, room - image.length);
      discoverSchema(db, file);
    } catch (err) {
      throw new KmtError('KMT_DB', `${file}: not a kamaitachi database: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  } else {
    // A new file gets gen-data's table; its indexes are built after the bulk insert (faster),
    // or as soon as a row updates an earlier one (the update's lookup needs them).
    db = new SQL.Database();
    db.run(CREATE_TABLE_SQL);
    if (room > 0) {
      const image = db.export();
      db.close();
      db = openWithRoom(SQL, image, room);
    }
    indexesPending = true;
  }
  const schema = discoverSchema(db, file);
  // The file is written whole at the end (writeAtomically): sql.js's in-memory copy needs no
  // durability of its own, only rollback of a failed batch, so the rollback journal stays in
  // memory and nothing is synced; a bigger page cache keeps the index pages of updates hot.
  db.run('PRAGMA journal_mode=MEMORY');
  db.run('PRAGMA synchronous=OFF');
  db.run('PRAGMA cache_size=-65536');
  const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
  const tableColumns = (info?.values ?? []).map((r) => String(r[1]));
  // The twin's writable columns (plain identifiers of the file's table): what a row may set.
  const bulk = new BulkUpsert(db, new SqlApplier(db, file).columns);
  // Keys the file holds: a new key is INSERTed, a known one UPDATEd (all rows with that key).
  const keys = new Set<string>();
  const all = db.prepare(`SELECT subject_key, report_date FROM ${TABLE}`);
  while (all.step()) {
    const [k, d] = all.get();
    keys.add(`${String(k)}\u0000${String(d)}`);
  }
  all.free();
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    bulk.forgetStatements();
    db.close();
  };
  let inTransaction = false;
  let rowsInTransaction = 0;
  const commit = (): void => {
    if (inTransaction) db.run('COMMIT');
    inTransaction = false;
    rowsInTransaction = 0;
  };
  const buildIndexes = (): void => {
    if (!indexesPending) return;
    indexesPending = false;
    db.exec(CREATE_INDEXES_SQL);
  };
  return {
    target: file,
    context: {
      tableColumns,
      allowed: new Set(['id', ...writableColumns(schema)]),
      indicators: new Set(schema.indicators),
      validate: rowValidator(schema),
    },
    async write(rows) {
      const fresh: ReportRow[] = [];
      const known: ReportRow[] = [];
      // A key repeated in the batch is one row with the later columns replacing the earlier.
      for (const row of foldByKey(rows)) {
        const key = `${row.subject_key}\u0000${row.report_date}`;
        if (keys.has(key)) known.push(row);
        else fresh.push(row);
      }
      // Nothing reaches the disk before finish(), and a failed batch ends the import: batches
      // share a transaction up to TRANSACTION_ROWS (a commit costs a pass over the dirty pages;
      // the bound keeps the in-memory rollback journal of a re-import small).
      if (!inTransaction) db.run('BEGIN');
      inTransaction = true;
      try {
        bulk.insert(fresh);
        if (known.length > 0) {
          buildIndexes();
          bulk.update(known);
        }
        for (const row of fresh) keys.add(`${row.subject_key}\u0000${row.report_date}`);
        rowsInTransaction += rows.length;
        if (rowsInTransaction >= TRANSACTION_ROWS) commit();
      } catch (err) {
        inTransaction = false;
        db.run('ROLLBACK');
        throw err;
      }
      return { refused: [] };
    },
    async finish() {
      commit();
      buildIndexes();
      // The data changed: forget the dataset id so the node derives a new one from the bytes.
      if (db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${META_TABLE}'`)[0]) {
        db.run(`DELETE FROM ${META_TABLE} WHERE key = 'dataset'`);
      }
      bulk.forgetStatements(); // export() closes and reopens the database, freeing prepared statements
      const image = db.export();
      close();
      await writeAtomically(path, image);
    },
    async abort() {
      close();
    },
  };
}

async function writeAtomically(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw new KmtError('KMT_DB', `cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
