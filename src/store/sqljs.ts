// Loads the sql.js WASM engine once per process. The bundle carries sql-wasm.wasm beside
// dist/kamaitachi.mjs; from source (tests, tsx) it is resolved inside node_modules.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';

let engine: Promise<SqlJsStatic> | undefined;

export function loadSqlJs(): Promise<SqlJsStatic> {
  engine ??= initSqlJs({ wasmBinary: readWasm() as unknown as ArrayBuffer });
  return engine;
}

/**
 * Frees the prepared statements of a cache and empties it. sql.js's export() closes and reopens
 * the database, freeing every statement already; freeing one again throws, which is ignored.
 */
export function freeStatements(stmts: Map<string, Statement>): void {
  for (const s of stmts.values()) {
    try {
      s.free();
    } catch {
      /* already freed by export() */
    }
  }
  stmts.clear();
}

function readWasm(): Buffer {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'sql-wasm.wasm');
  if (existsSync(beside)) return readFileSync(beside);
  return readFileSync(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm'));
}

/**
 * A database on a copy of `image` with `room` zero bytes behind it (docs/import.md, Speed).
 * sql.js keeps the database file in an Emscripten MEMFS node, which grows by allocating a
 * 1.125x bigger array and copying the whole file into it: a file written from nothing to 200 MB
 * is copied about 8 times over, and that (with its page faults) cost more than the SQL. Pages
 * written inside the room land in the one allocation. SQLite takes the database's size from the
 * header (bytes 28-31, trusted while bytes 92-95 equal the change counter at 24-27), so the zeros
 * are no part of the database and export() leaves them out. An image whose header size is not
 * trusted (or does not match its length) is opened as it is.
 */
export function openWithRoom(SQL: SqlJsStatic, image: Uint8Array, room: number): Database {
  if (room <= 0 || !headerSizeTrusted(image)) return new SQL.Database(image);
  const roomy = new Uint8Array(image.length + Math.floor(room));
  roomy.set(image);
  return new SQL.Database(roomy);
}

function headerSizeTrusted(image: Uint8Array): boolean {
  if (image.length < 100) return false;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  return view.getUint32(24) === view.getUint32(92) && view.getUint32(28) * pageSize === image.length;
}
