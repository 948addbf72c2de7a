// Reads and writes the cache snapshot file: what a node held, so a restart comes back warm.
// Answers are kept as bytes; topic views only by name (rebuilding one takes under a
// millisecond and keeps the file small). Writes go to a temporary file renamed over the old one, so a crash never
// leaves a half-written snapshot; a file taken from other data (fingerprint: dataset id and
// seq of the data, see FinanceStore.fingerprint) is ignored.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const SNAPSHOT_VERSION = 2;

export interface CacheImage {
  /** Fingerprint of the database the entries were built from. */
  readonly fingerprint: string;
  /** Answers, least recently used first: [key, body, tags]. */
  readonly answers: ReadonlyArray<readonly [string, Buffer, readonly string[]]>;
  /** Topic views as [topic, asOf]. */
  readonly views: ReadonlyArray<readonly [string, number]>;
}

interface FileShape {
  version: number;
  fingerprint: string;
  saved_at: string;
  answers: Array<[string, string, string[]]>;
  views: Array<[string, number]>;
}

export async function writeSnapshot(path: string, image: CacheImage): Promise<number> {
  const shape: FileShape = {
    version: SNAPSHOT_VERSION,
    fingerprint: image.fingerprint,
    saved_at: new Date().toISOString(),
    answers: image.answers.map(([k, body, tags]) => [k, body.toString('base64'), [...tags]]),
    views: image.views.map(([t, a]) => [t, a]),
  };
  const text = JSON.stringify(shape);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
  return Buffer.byteLength(text);
}

/** The image in the file, or the reason it cannot be used. */
export async function readSnapshot(path: string, fingerprint: string): Promise<CacheImage | { unusable: string }> {
  if (fingerprint === '') return { unusable: 'the data has no fingerprint (dataset unknown)' };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { unusable: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no snapshot file yet' : (err as Error).message };
  }
  let shape: FileShape;
  try {
    shape = JSON.parse(text) as FileShape;
  } catch {
    return { unusable: 'the file is not valid JSON (corrupt or truncated)' };
  }
  if (shape?.version !== SNAPSHOT_VERSION || !Array.isArray(shape.answers) || !Array.isArray(shape.views)) {
    return { unusable: `not a version ${SNAPSHOT_VERSION} snapshot` };
  }
  if (shape.fingerprint !== fingerprint) return { unusable: 'taken from different data (database fingerprint differs)' };
  return {
    fingerprint,
    answers: shape.answers
      .filter((a) => Array.isArray(a) && typeof a[0] === 'string' && typeof a[1] === 'string' && Array.isArray(a[2]))
      .map(([k, b, t]) => [k, Buffer.from(b, 'base64'), t.map(String)] as const),
    views: shape.views.filter((v) => Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number'),
  };
}
