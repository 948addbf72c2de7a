// Offline import into a database file (docs/import.md): the file is opened with sql.js, rows are
// upserted by (subject_key, report_date) through the store's own SqlApplier (bound parameters),
// a batch per transaction, and the file is replaced atomically at the end (temp file, fsync,
// rename, fsync of the directory). Until then nothing on disk changes, so a failed or --strict
// import leaves the file as it was.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Database } from 'sql.js';
import { rowValidator, writableColumns } from '../query/writeRequest';
import { KmtError } from '../shared/errors';
import { SqlApplier } from '../store/checkpointSql';
import type { ReportRow } from '../store/records';
import { discoverSchema, META_TABLE, TABLE } from '../store/schema';
import { loadSqlJs } from '../store/sqljs';
import { CREATE_INDEXES_SQL, CREATE_TABLE_SQL } from '../gendata/table';
import type { ReadContext } from './sources';

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

export async function openFileSink(file: string): Promise<Sink> {
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
  if (existsSync(path)) {
    try {
      db = new SQL.Database(await readFile(path));
      discoverSchema(db, file);
    } catch (err) {
      throw new KmtError('KMT_DB', `${file}: not a kamaitachi database: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  } else {
    // A new file gets gen-data's table (and its index, which every upsert's lookup needs).
    db = new SQL.Database();
    db.run(CREATE_TABLE_SQL);
    db.run(CREATE_INDEXES_SQL);
  }
  const schema = discoverSchema(db, file);
  const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
  const tableColumns = (info?.values ?? []).map((r) => String(r[1]));
  const applier = new SqlApplier(db, file);
  let seq = 0;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    applier.forgetStatements();
    db.close();
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
      applier.apply({ seq: ++seq, time: 0, ops: [{ op: 'upsert', rows }] });
      return { refused: [] };
    },
    async finish() {
      // The data changed: forget the dataset id so the node derives a new one from the bytes.
      if (db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${META_TABLE}'`)[0]) {
        db.run(`DELETE FROM ${META_TABLE} WHERE key = 'dataset'`);
      }
      applier.forgetStatements();
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
