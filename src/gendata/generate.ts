// `gen-data` as a library call: builds the sample database in sql.js memory in one
// transaction, then writes it to disk atomically.
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KmtError } from '../shared/errors';
import { loadSqlJs } from '../store/sqljs';
import { makeCompanies, rowCount } from './company';
import { validateGenOptions, type GenOptions } from './options';
import { companyReports } from './reports';
import { CREATE_INDEXES_SQL, CREATE_TABLE_SQL, INSERT_COLUMNS, INSERT_SQL, insertParams } from './table';
import { CREATE_TAGS_SQL, TAGS_TABLE } from '../store/SubjectTags';
import { tagRows } from './tags';

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
  if (o.format !== undefined && o.format !== 'sqlite') return generateText(o, o.format);
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
    // Subject tags (industry, concepts) only in the SQLite output: CSV, NDJSON and the SQL dump
    // carry report rows, which is what import reads.
    db.run(CREATE_TAGS_SQL);
    const tag = db.prepare(`INSERT INTO ${TAGS_TABLE} (subject_key, kind, value) VALUES (?, ?, ?)`);
    for (const row of tagRows(companies, o.seed)) tag.run(row);
    tag.free();
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

/** Rows per multi-row INSERT of the SQL format, as mysqldump groups them. */
const SQL_ROWS_PER_INSERT = 100;

/**
 * The same rows as the SQLite output, as import input: CSV with a header row, NDJSON, or a
 * mysqldump-style SQL dump (backtick identifiers, LOCK TABLES, multi-row INSERTs). Written
 * through a stream to a temp file, fsynced, then renamed over `out`.
 */
async function generateText(o: Readonly<GenOptions>, format: 'csv' | 'ndjson' | 'sql'): Promise<GenResult> {
  const started = performance.now();
  const periods = (o.endYear - o.startYear + 1) * 4;
  const companies = makeCompanies(o.stocks, o.seed, periods);
  const total = companies.reduce((sum, c) => sum + rowCount(c, periods), 0);
  const tmp = `${o.out}.tmp-${process.pid}`;
  let rows = 0;
  let bytes = 0;
  try {
    await mkdir(dirname(o.out), { recursive: true });
    const out = createWriteStream(tmp);
    let buf: string[] = [];
    let pending = 0;
    const write = async (text: string): Promise<void> => {
      buf.push(text);
      pending += text.length;
      if (pending < 1 << 20) return;
      const chunk = buf.join('');
      buf = [];
      pending = 0;
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    };
    const cols = INSERT_COLUMNS;
    if (format === 'csv') await write(cols.join(',') + '\n');
    if (format === 'sql') {
      await write('-- kamaitachi gen-data SQL dump (mysqldump style)\n/*!40101 SET NAMES utf8mb4 */;\n');
      await write('DROP TABLE IF EXISTS `finance_data`;\n' + CREATE_TABLE_SQL.replace('finance_data', '`finance_data`') + ';\n');
      await write('LOCK TABLES `finance_data` WRITE;\n');
    }
    const head = `INSERT INTO \`finance_data\` (${cols.map((c) => `\`${c}\``).join(',')}) VALUES `;
    let inStatement = 0;
    const every = Math.max(1, Math.ceil(companies.length / PROGRESS_STEPS));
    for (let i = 0; i < companies.length; i++) {
      const lines: string[] = [];
      companyReports(companies[i]!, o.startYear, o.endYear, o.noise, (row) => {
        const params = insertParams(row);
        rows++;
        if (format === 'csv') lines.push(params.map(csvValue).join(',') + '\n');
        else if (format === 'ndjson') {
          const obj: Record<string, unknown> = {};
          cols.forEach((c, k) => (obj[c] = params[k]));
          lines.push(JSON.stringify(obj) + '\n');
        } else {
          const tuple = `(${params.map(sqlValue).join(',')})`;
          if (inStatement === 0) lines.push(head + tuple);
          else lines.push(',\n' + tuple);
          if (++inStatement === SQL_ROWS_PER_INSERT) {
            lines.push(';\n');
            inStatement = 0;
          }
        }
      });
      await write(lines.join(''));
      if ((i + 1) % every === 0) o.onProgress?.(rows, total);
    }
    if (format === 'sql') await write((inStatement > 0 ? ';\n' : '') + 'UNLOCK TABLES;\n');
    const rest = buf.join('');
    bytes += Buffer.byteLength(rest);
    out.end(rest);
    await once(out, 'finish');
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, o.out);
  } catch (err) {
    await rm(tmp, { force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new KmtError('KMT_DB', `cannot write ${o.out}: ${reason}; choose another --out or fix the directory's permissions`, { cause: err });
  }
  o.onProgress?.(rows, total);
  return { file: o.out, rows, subjects: companies.length, bytes, ms: performance.now() - started };
}

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function sqlValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
