// Offline import into a database file (docs/import.md): the file is opened with sql.js, rows are
// upserted by (subject_key, report_date) through the store's own SqlApplier (bound parameters),
// a batch per transaction, and the file is replaced atomically at the end (temp file, fsync,
// rename, fsync of the directory). Until then nothing on disk changes, so a failed or --strict
// import leaves the file as it was.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Database, SqlValue, Statement } from 'sql.js';
import { rowValidator, writableColumns } from '../query/writeRequest';
import { KmtError } from '../shared/errors';
import { SqlApplier } from '../store/checkpointSql';
import { DEFAULT_CATEGORY, DEFAULT_TOPIC } from '../store/FinanceStore';
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
  let indexesPending = false;
  if (existsSync(path)) {
    try {
      db = new SQL.Database(await readFile(path));
      discoverSchema(db, file);
    } catch (err) {
      throw new KmtError('KMT_DB', `${file}: not a kamaitachi database: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  } else {
    // A new file gets gen-data's table; its indexes are built after the bulk insert (faster),
    // or as soon as a row updates an earlier one (the update's lookup needs them).
    db = new SQL.Database();
    db.run(CREATE_TABLE_SQL);
    indexesPending = true;
  }
  const schema = discoverSchema(db, file);
  const info = db.exec(`PRAGMA table_info(${TABLE})`)[0];
  const tableColumns = (info?.values ?? []).map((r) => String(r[1]));
  const applier = new SqlApplier(db, file);
  const inserter = new Inserter(db, new Set(tableColumns));
  // Keys the file holds: a new key is one INSERT, a known one goes through the applier's upsert.
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
    applier.forgetStatements();
    inserter.free();
    db.close();
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
      db.run('BEGIN');
      try {
        for (const row of rows) {
          const key = `${row.subject_key}\u0000${row.report_date}`;
          if (keys.has(key)) {
            buildIndexes();
            applier.upsertRow(row);
          } else {
            inserter.insert(row);
            keys.add(key);
          }
        }
        db.run('COMMIT');
      } catch (err) {
        db.run('ROLLBACK');
        throw err;
      }
      return { refused: [] };
    },
    async finish() {
      buildIndexes();
      // The data changed: forget the dataset id so the node derives a new one from the bytes.
      if (db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '${META_TABLE}'`)[0]) {
        db.run(`DELETE FROM ${META_TABLE} WHERE key = 'dataset'`);
      }
      applier.forgetStatements();
      inserter.free(); // export() closes and reopens the database, freeing prepared statements
      const image = db.export();
      close();
      await writeAtomically(path, image);
    },
    async abort() {
      close();
    },
  };
}

/**
 * INSERTs of new rows with the defaults SqlApplier gives a new row (codes from the key, topic
 * and category defaults); a prepared statement per column set, values bound.
 */
class Inserter {
  readonly #stmts = new Map<string, { stmt: Statement; cols: string[] }>();

  constructor(
    readonly db: Database,
    readonly columns: ReadonlySet<string>,
  ) {}

  insert(row: ReportRow): void {
    let sig = '';
    for (const k in row) if (this.columns.has(k)) sig += k + ',';
    let entry = this.#stmts.get(sig);
    if (!entry) {
      const cols = sig.split(',').slice(0, -1);
      for (const c of ['market_code', 'stock_code', 'topic', 'category']) if (this.columns.has(c) && !cols.includes(c)) cols.push(c);
      const stmt = this.db.prepare(`INSERT INTO ${TABLE} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      entry = { stmt, cols };
      this.#stmts.set(sig, entry);
    }
    const sep = row.subject_key.indexOf(':');
    const params: SqlValue[] = new Array(entry.cols.length);
    for (let i = 0; i < entry.cols.length; i++) {
      const c = entry.cols[i]!;
      const v = row[c];
      if (v !== undefined) params[i] = v;
      else if (c === 'market_code') params[i] = row.subject_key.slice(0, sep);
      else if (c === 'stock_code') params[i] = row.subject_key.slice(sep + 1);
      else if (c === 'topic') params[i] = DEFAULT_TOPIC;
      else params[i] = DEFAULT_CATEGORY;
    }
    entry.stmt.run(params);
  }

  free(): void {
    for (const e of this.#stmts.values()) e.stmt.free();
    this.#stmts.clear();
  }
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
