// `gen-data` as a library call: builds the sample database in sql.js memory in one
// transaction, then writes it to disk atomically.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import { loadSqlJs } from '../store/sqljs';
import { makeCompanies, rowCount } from './company';
import { validateGenOptions, type GenOptions } from './options';
import { companyReports } from './reports';
import { CREATE_INDEXES_SQL, CREATE_TABLE_SQL, INSERT_SQL, insertParams } from './table';

export { GEN_DEFAULTS, GEN_LIMITS, validateGenOptions, type GenOptions } from './options';

export interface GenResult {
  file: string;
  rows: number;
  subjects: number;
  bytes: number;
  ms: number;
}

/** Progress is reported about this many times per run, plus once at the end. */
const PROGRESS_STEPS = 100;

export async function generateDatabase(opts: GenOptions): Promise<GenResult> {
  const o = validateGenOptions(opts);
  const started = performance.now();
  const periods = (o.endYear - o.startYear + 1) * 4;
  const companies = makeCompanies(o.stocks, o.seed, periods);
  const total = companies.reduce((sum, c) => sum + rowCount(c, periods), 0);

  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  let image: Uint8Array;
  let rows = 0;
  try {
    db.run(CREATE_TABLE_SQL);
    db.run('BEGIN');
    const insert = db.prepare(INSERT_SQL);
    const every = Math.max(1, Math.ceil(companies.length / PROGRESS_STEPS));
    companies.forEach((company, i) => {
      companyReports(company, o.startYear, o.endYear, o.noise, (row) => {
        insert.run(insertParams(row));
        rows++;
      });
      if ((i + 1) % every === 0) o.onProgress?.(rows, total);
    });
    insert.free();
    db.run(CREATE_INDEXES_SQL);
    db.run('COMMIT');
    image = db.export();
  } finally {
    db.close();
  }
  o.onProgress?.(rows, total);

  await writeAtomically(o.out, image);
  return { file: o.out, rows, subjects: companies.length, bytes: image.byteLength, ms: performance.now() - started };
}

/** Readers never see a half-written file: write beside it, then rename over it. */
async function writeAtomically(file: string, data: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new KmtError('KMT_DB', `cannot write ${file}: ${reason}; choose another --out or fix the directory's permissions`, {
      cause: err,
    });
  }
}
