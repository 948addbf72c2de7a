import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE, makeDb, openReference, sqlRows, tempDir } from '../helpers';

const DIST = join(BUNDLE, '..');

describe('the checkpoint worker from the build (dist/checkpoint-worker.mjs)', () => {
  it('is found beside a bundle and checkpoints', async (t) => {
    assert.ok(existsSync(join(DIST, 'checkpoint-worker.mjs')), 'run `node build.mjs` first (npm test does)');
    const dir = tempDir(t);
    // A bundle of a small entry, laid out as dist/ is: worker and WASM beside it, and no
    // node_modules around (tsx, the source fallback, cannot be found from there).
    await build({
      entryPoints: [join(import.meta.dirname, '_bundleEntry.ts')],
      outfile: join(dir, 'entry.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      // As build.mjs: CommonJS dependencies (sql.js, pino) need require and __dirname.
      banner: {
        js: [
          "import { createRequire as __cr } from 'node:module';",
          "import { fileURLToPath as __f } from 'node:url';",
          "import { dirname as __d } from 'node:path';",
          'const require = __cr(import.meta.url);',
          'const __filename = __f(import.meta.url);',
          'const __dirname = __d(__filename);',
        ].join('\n'),
      },
    });
    copyFileSync(join(DIST, 'checkpoint-worker.mjs'), join(dir, 'checkpoint-worker.mjs'));
    copyFileSync(join(DIST, 'sql-wasm.wasm'), join(dir, 'sql-wasm.wasm'));
    const db = await makeDb(dir, { stocks: 10 });
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'entry.mjs'), db], { encoding: 'utf8', timeout: 60_000 })) as { seq: number; dataset: string; subject_key: string };
    assert.equal(out.seq, 1);
    const file = await openReference(db);
    t.after(() => file.close());
    assert.deepEqual(sqlRows(file, 'SELECT operating_income FROM finance_data WHERE subject_key = ? AND report_date = ?', [out.subject_key, 1_900_000_000]), [{ operating_income: 123 }]);
    assert.deepEqual(sqlRows(file, 'SELECT key, value FROM kamaitachi_meta ORDER BY key'), [
      { key: 'dataset', value: out.dataset },
      { key: 'seq', value: '1' },
    ]);
  });
});
