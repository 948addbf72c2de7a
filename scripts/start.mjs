// What `npm start` runs: builds dist/kamaitachi.mjs when it is missing or older than src/, then
// runs `kamaitachi cluster up` (which makes sample data when missing) with the terminal attached.
// Extra arguments go to `cluster up`, e.g. `npm start -- --slaves 3`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'kamaitachi.mjs');

/** Newest modification time of any file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(newest(join(root, 'src')), statSync(join(root, 'build.mjs')).mtimeMs);
if (stale) {
  process.stdout.write('building dist/kamaitachi.mjs...\n');
  const built = spawnSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const child = spawn(process.execPath, [bundle, 'cluster', 'up', ...process.argv.slice(2)], { stdio: 'inherit' });
// Forwarded so `kill <pid of npm start>` stops the cluster too; cluster up ignores the duplicate
// that a terminal Ctrl-C (delivered to the whole process group) produces.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
