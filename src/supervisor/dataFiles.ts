// The files of a local cluster: the source database (generated when missing) and one copy of it
// per node, so every node has its own SQLite file as in the original.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GEN_DEFAULTS, generateDatabase } from '../gendata/generate';

/** Makes the sample database when `db` does not exist; returns true when it did so. */
export async function ensureDatabase(db: string, stocks: number, say: (line: string) => void): Promise<boolean> {
  if (await exists(db)) return false;
  say(`no database at ${db}: generating sample data (${stocks} companies)...`);
  await mkdir(dirname(db), { recursive: true });
  const r = await generateDatabase({ ...GEN_DEFAULTS, out: db, stocks });
  say(`wrote ${r.file}: ${r.rows} rows, ${r.subjects} subjects in ${(r.ms / 1000).toFixed(1)} s`);
  return true;
}

/** `<dataDir>/<name>.db`, copied from `db` unless an identical-looking copy is already there. */
export async function nodeCopy(db: string, dataDir: string, name: string): Promise<string> {
  const dest = join(dataDir, `${name}.db`);
  const [src, old, journal] = await Promise.all([stat(db), stat(dest).catch(() => undefined), stat(`${dest}.journal`).catch(() => undefined)]);
  // A node that took writes has a journal beside its copy: the copy is its data now, kept.
  // Otherwise same size and not older than the source means same content.
  if (!old || (!journal && (old.size !== src.size || old.mtimeMs < src.mtimeMs))) await copyFile(db, dest);
  return dest;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
