// Shared by the import tests: inputs made by gen-data, imports run in this process with the bad
// rows collected, and the rows of a database file read back with plain SQL (id left out).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDatabase } from '../../src/gendata/generate';
import { runImport, type ImportOptions, type ImportResult } from '../../src/import/run';
import { openReference, sqlRows } from '../helpers';

export const GEN = { stocks: 30, startYear: 2021, endYear: 2023, seed: 11, noise: 0 } as const;

export async function genInput(dir: string, format: 'sqlite' | 'csv' | 'ndjson' | 'sql', name?: string): Promise<string> {
  const out = join(dir, name ?? (format === 'sqlite' ? 'ref.db' : `in.${format}`));
  await generateDatabase({ ...GEN, out, format });
  return out;
}

export async function importFiles(o: Partial<ImportOptions> & { files: string[] }): Promise<{ result: ImportResult; bad: string[] }> {
  const bad: string[] = [];
  const result = await runImport({ batch: 1000, wait: 'durable', strict: false, ...o, onBad: (m) => bad.push(m) });
  return { result, bad };
}

/** Every report row, without the id, in key order. */
export async function dbRows(file: string): Promise<Array<Record<string, string | number | null>>> {
  const db = await openReference(file);
  try {
    return sqlRows(db, 'SELECT * FROM finance_data ORDER BY subject_key, report_date').map(({ id: _id, ...rest }) => rest);
  } finally {
    db.close();
  }
}

export function bytesOf(file: string): Buffer {
  return readFileSync(file);
}
