// Runs every test/**/*.test.ts with node's test runner through tsx (Node 20's --test does not
// expand globs itself). Extra arguments are passed to node --test (e.g. --test-name-pattern).
// A test or hook that hangs fails after 5 minutes instead of holding the run until CI gives up.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const files = find('test').sort();
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...process.argv.slice(2), ...files];
const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(status ?? 1);
