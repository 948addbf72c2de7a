// The [tables] section of a node config: DataInfo tables beside the original's three.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveNodeConfig } from '../../src/config/node';
import { tempDir } from '../helpers';

const dir = tempDir({ after });
let files = 0;

function ini(text: string): string {
  const file = join(dir, `node-${++files}.ini`);
  writeFileSync(file, text);
  return file;
}

const tablesOf = (text: string) => [...resolveNodeConfig('master', { config: ini(text) }).seriesTables.values()];

describe('DataInfo tables in the node config', () => {
  it("serves the original's three tables by default", () => {
    assert.deepEqual(
      [...resolveNodeConfig('master', {}).seriesTables.values()],
      [
        { id: 1, name: 'stock_data', width: 4 },
        { id: 2, name: 'financial_data', width: 4 },
        { id: 3, name: 'indicator_data', width: 8 },
      ],
    );
  });

  it('adds the tables of [tables], in number order', () => {
    const t = tablesOf('[tables]\n10 = ten:1\n4 = my_table:6\n');
    assert.deepEqual(
      t.map((x) => `${x.id} ${x.name}:${x.width}`),
      ['1 stock_data:4', '2 financial_data:4', '3 indicator_data:8', '4 my_table:6', '10 ten:1'],
    );
    assert.equal(tablesOf('[tables]\n1 = stock_data:4\n').length, 3, 'restating a built-in table is allowed');
  });

  it('refuses bad lines with a config error naming the line and what is allowed', () => {
    const cases: Array<[string, RegExp]> = [
      ['x = a:1', /\[tables\] x in .*: the key must be a table number between 1 and 1000000/],
      ['0 = a:1', /the key must be a table number/],
      ['4 = my_table', /\[tables\] 4 in .*: must be <name>:<values per point>, e\.g\. my_table:6, got "my_table"/],
      ['4 = my_table:0', /values per point must be between 1 and 1024, got 0/],
      ['4 = 9lives:2', /the name must be letters, digits and _/],
      ['2 = financial_data:8', /table 2 is the built-in financial_data:4 and cannot be redefined; use a number above 3/],
      ['4 = stock_data:4', /the name stock_data is already table 1/],
    ];
    for (const [line, message] of cases) {
      assert.throws(
        () => tablesOf(`[tables]\n${line}\n`),
        (err: Error & { code?: string }) => err.code === 'KMT_CONFIG' && message.test(err.message),
        line,
      );
    }
  });
});
