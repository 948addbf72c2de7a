// Loads the sql.js WASM engine once per process. The bundle carries sql-wasm.wasm beside
// dist/kamaitachi.mjs; from source (tests, tsx) it is resolved inside node_modules.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

let engine: Promise<SqlJsStatic> | undefined;

export function loadSqlJs(): Promise<SqlJsStatic> {
  engine ??= initSqlJs({ wasmBinary: readWasm() as unknown as ArrayBuffer });
  return engine;
}

function readWasm(): Buffer {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'sql-wasm.wasm');
  if (existsSync(beside)) return readFileSync(beside);
  return readFileSync(createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm'));
}
