// Bundles src/ into one ESM file (dist/kamaitachi.mjs) and puts the sql.js WASM beside it,
// where src/store/sqljs.ts looks for it first. The checkpoint worker thread needs a file of
// its own: dist/checkpoint-worker.mjs (found beside the bundle by src/store/DurableStore.ts).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
mkdirSync('dist', { recursive: true });

await build({
  entryPoints: { kamaitachi: 'src/cli/bin.ts', 'checkpoint-worker': 'src/store/checkpointWorker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // The etcd client is imported only when [etcd] endpoints are set, and etcd3 reads its .proto
  // files relative to its own directory: both stay in node_modules (they are dependencies).
  external: ['etcd3', 'cockatiel'],
  // CommonJS dependencies (pino, sql.js) use require() and __dirname; give the ESM bundle both.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __kmtCreateRequire } from 'node:module';",
      "import { fileURLToPath as __kmtFileURLToPath } from 'node:url';",
      "import { dirname as __kmtDirname } from 'node:path';",
      'const require = __kmtCreateRequire(import.meta.url);',
      'const __filename = __kmtFileURLToPath(import.meta.url);',
      'const __dirname = __kmtDirname(__filename);',
    ].join('\n'),
  },
});

copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
chmodSync('dist/kamaitachi.mjs', 0o755);
