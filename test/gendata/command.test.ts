// `kamaitachi gen-data` in a child process: flags reach generateDatabase, errors exit 2 with
// one readable line, success prints one summary line and nothing else.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const COMMAND = fileURLToPath(new URL('../../src/cli/commands/gendata.ts', import.meta.url));
// Only the command under test, not the whole CLI, so other commands cannot break this suite.
const SCRIPT = `import { genDataCommand } from ${JSON.stringify(COMMAND)};
await genDataCommand().parseAsync(process.argv.slice(1), { from: 'user' });`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function genData(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, '--', ...args],
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('kamaitachi gen-data', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kmt-gendata-cli-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the file and prints one summary line', async () => {
    const out = join(dir, 'cli.db');
    const run = await genData('--out', out, '--stocks', '6', '--start-year', '2023', '--end-year', '2023', '--seed', '3');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no progress line when stderr is not a TTY');
    assert.match(run.stdout, /^kamaitachi gen-data: wrote .*cli\.db: \d+ rows, 6 subjects, [\d.]+ MB in [\d.]+ s\n$/);
    assert.ok(existsSync(out));
  });

  it('exits 2 with the flag named when a value is not a number', async () => {
    const run = await genData('--out', join(dir, 'never.db'), '--stocks', 'many');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'kamaitachi gen-data: --stocks must be a number, got "many"\n');
    assert.equal(run.stdout, '');
  });

  it('exits 2 with the allowed range when a value is out of range', async () => {
    const run = await genData('--out', join(dir, 'never.db'), '--noise', '2');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'kamaitachi gen-data: --noise must be a number between 0 and 1, got 2\n');
    assert.equal(existsSync(join(dir, 'never.db')), false);
  });

  it('shows every default and an example in --help', async () => {
    const run = await genData('--help');
    assert.equal(run.code, 0);
    // commander wraps long lines at the terminal width; compare the words, not the layout.
    const help = run.stdout.replace(/\s+/g, ' ');
    const expected = ['--out <file>', '(default: "./data/finance.db")', '--stocks <n>', '(default: 5000)', '--start-year <y>'];
    expected.push('(default: 2015)', '--end-year <y>', '(default: 2024)', '--seed <n>', '(default: 42)', '--noise <x>');
    expected.push('(default: 0)', 'Examples:');
    for (const text of expected) assert.ok(help.includes(text), `help shows ${text}`);
  });
});
