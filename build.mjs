// Bundles src/ into one ESM file (dist/kamaitachi.mjs) and puts the sql.js WASM beside it,
// where src/store/sqljs.ts looks for it first.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
mkdirSync('dist', { recursive: true });

await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/kamaitachi.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (pino, sql.js) call require(); give the ESM bundle one.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __kmtCreateRequire } from 'node:module';",
      'const require = __kmtCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});

copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
chmodSync('dist/kamaitachi.mjs', 0o755);
