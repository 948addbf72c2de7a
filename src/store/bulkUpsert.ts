// Upserts of many report rows into a sql.js database, many rows per statement (docs/store.md,
// "SQL writes in bulk"): each statement call costs sql.js a trip into WASM and a step through
// the VM's setup, so a run of rows that name the same columns goes as multi-row VALUES (up to
// 50 rows of bound parameters) joined to the table. Values are always bound parameters; column
// names come only from the file's schema.
import type { Database, SqlValue, Statement } from 'sql.js';
import { DEFAULT_CATEGORY, DEFAULT_TOPIC } from './FinanceStore';
import type { ReportRow } from './records';
import { TABLE } from './schema';
import { freeStatements } from './sqljs';

/**
 * Rows whose (subject_key, report_date) repeat, folded into one at the first one's place: later
 * columns replace earlier ones. Rows are copied only when they repeat.
 */
export function foldByKey(rows: readonly ReportRow[]): ReportRow[] {
  const at = new Map<string, number>();
  const out: ReportRow[] = [];
  for (const row of rows) {
    const key = `${row.subject_key}\u0000${row.report_date}`;
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push(row);
    } else out[i] = { ...out[i]!, ...row };
  }
  return out;
}

/** Cached statements at most (per kind, column set and rows per statement: a column set takes up to 14); rows name arbitrary subsets. */
const MAX_STATEMENTS = 512;
/** Rows per statement: more saves calls, but past ~50 the planner's work per statement grows. */
const ROWS_PER_STATEMENT = 50;
/** Columns filled on an INSERT when the row does not give them (as applyRecord fills them). */
const DERIVED = ['market_code', 'stock_code', 'topic', 'category'] as const;
type Kind = 'update' | 'insert' | 'insertMissing';

export class BulkUpsert {
  readonly #db: Database;
  readonly #columns: ReadonlySet<string>;
  readonly #stmts = new Map<string, Statement>();

  /** `columns`: the writable columns of the table (no id, no keys), each a plain identifier. */
  constructor(db: Database, columns: ReadonlySet<string>) {
    this.#db = db;
    this.#columns = columns;
  }

  /**
   * Upsert by (subject_key, report_date), in order: every row of the table with that key gets
   * the given columns (the original schema has no unique index), a key with no row is inserted
   * with the defaults. Keys may repeat.
   */
  upsert(rows: readonly ReportRow[]): void {
    // With keys unique, "update what matches, then insert what is missing" is a per-row upsert.
    this.#byRuns(
      foldByKey(rows),
      (cols, params, n) => {
        if (cols.length > 0) this.#run('update', cols, params, n);
        this.#run('insertMissing', cols, params, n);
      },
      false,
    );
  }

  /** INSERTs of rows whose keys the table does not hold yet, unique among themselves. */
  insert(rows: readonly ReportRow[]): void {
    this.#byRuns(rows, (cols, params, n) => this.#run('insert', cols, params, n), true);
  }

  /** UPDATEs of rows whose keys the table holds, unique among themselves. */
  update(rows: readonly ReportRow[]): void {
    this.#byRuns(
      rows,
      (cols, params, n) => {
        if (cols.length > 0) this.#run('update', cols, params, n);
      },
      false,
    );
  }

  /** sql.js's export() closes and reopens the database, freeing every prepared statement. */
  forgetStatements(): void {
    freeStatements(this.#stmts);
  }

  /**
   * Rows naming the same columns, as the flat parameters of up to ROWS_PER_STATEMENT tuples
   * `(subject_key, report_date, ...values)`. `ordered`: only consecutive rows share a statement,
   * so inserts keep the input order; otherwise rows are grouped by column set (writes that each
   * name a different indicator still go 50 to a statement). A short tail goes in power-of-two
   * pieces, so a column set needs a handful of statements, not one per length.
   */
  #byRuns(rows: readonly ReportRow[], each: (cols: string[], params: SqlValue[], rows: number) => void, ordered: boolean): void {
    const groups = new Map<string, { cols: string[]; params: SqlValue[]; n: number }>();
    let current: { cols: string[]; params: SqlValue[]; n: number } | undefined;
    let currentSig: string | undefined;
    const emit = (g: { cols: string[]; params: SqlValue[]; n: number }): void => {
      const width = g.cols.length + 2;
      let at = 0;
      while (g.n > 0) {
        const take = g.n >= ROWS_PER_STATEMENT ? ROWS_PER_STATEMENT : 2 ** Math.floor(Math.log2(g.n));
        each(g.cols, at === 0 && take === g.n ? g.params : g.params.slice(at * width, (at + take) * width), take);
        at += take;
        g.n -= take;
      }
      g.params = [];
    };
    for (const row of rows) {
      let sig = '';
      for (const k in row) if (this.#columns.has(k)) sig += k + ',';
      if (sig !== currentSig || !current) {
        if (ordered && current) emit(current);
        currentSig = sig;
        current = ordered ? undefined : groups.get(sig);
        if (!current) {
          current = { cols: sig === '' ? [] : sig.slice(0, -1).split(','), params: [], n: 0 };
          if (!ordered) groups.set(sig, current);
        }
      }
      const g = current;
      g.params.push(row.subject_key, row.report_date);
      for (const c of g.cols) g.params.push(row[c]!);
      if (++g.n === ROWS_PER_STATEMENT) emit(g);
    }
    if (ordered && current) emit(current);
    for (const g of groups.values()) emit(g);
  }

  #run(kind: Kind, cols: string[], params: SqlValue[], rows: number): void {
    const key = `${kind} ${rows} ${cols.join(',')}`;
    let stmt = this.#stmts.get(key);
    if (!stmt) {
      if (this.#stmts.size >= MAX_STATEMENTS) this.forgetStatements();
      stmt = this.#db.prepare(this.#sql(kind, cols, rows));
      this.#stmts.set(key, stmt);
    }
    stmt.run(params);
  }

  #sql(kind: Kind, cols: string[], rows: number): string {
    const q = (c: string): string => `"${c}"`;
    const tuple = `(${new Array(cols.length + 2).fill('?').join(', ')})`;
    const source = `WITH s(k, d${cols.map((_, i) => `, c${i}`).join('')}) AS (VALUES ${new Array(rows).fill(tuple).join(', ')})`;
    if (kind === 'update') {
      return `${source} UPDATE ${TABLE} SET ${cols.map((c, i) => `${q(c)} = s.c${i}`).join(', ')} FROM s WHERE ${TABLE}.subject_key = s.k AND ${TABLE}.report_date = s.d`;
    }
    const names = ['subject_key', 'report_date'];
    const exprs = ['s.k', 's.d'];
    // The defaults are the code's own constants, not input: written as SQL literals.
    const derived: Record<(typeof DERIVED)[number], string> = {
      market_code: `substr(s.k, 1, instr(s.k, ':') - 1)`,
      stock_code: `substr(s.k, instr(s.k, ':') + 1)`,
      topic: literal(DEFAULT_TOPIC),
      category: literal(DEFAULT_CATEGORY),
    };
    for (const c of DERIVED) {
      if (!this.#columns.has(c) || cols.includes(c)) continue;
      names.push(c);
      exprs.push(derived[c]);
    }
    cols.forEach((c, i) => {
      names.push(c);
      exprs.push(`s.c${i}`);
    });
    const missing = kind === 'insertMissing' ? ` WHERE NOT EXISTS (SELECT 1 FROM ${TABLE} AS f WHERE f.subject_key = s.k AND f.report_date = s.d)` : '';
    return `${source} INSERT INTO ${TABLE} (${names.map(q).join(', ')}) SELECT ${exprs.join(', ')} FROM s${missing}`;
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
