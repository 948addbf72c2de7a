import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBenchOptions } from '../../src/loadgen/options';
import { runLoadgen } from '../../src/roles/loadgen';
import { checkResultShape } from '../../src/loadgen/result';
import { makeDb, quietIo, startNode, tempDir } from '../helpers';

describe('bench against a real data node', () => {
  it('runs every scenario without a failure and reads the hit rate from the node', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 60, startYear: 2018, endYear: 2024 });
    const node = await startNode(t, { db });
    for (let scenario = 1; scenario <= 7; scenario++) {
      const result = await runLoadgen(
        resolveBenchOptions({ target: node.url, scenario: String(scenario), requests: '150', concurrent: '4', repeat: '10', warmup: '10', progress: false, json: true }),
        quietIo(),
      );
      assert.deepEqual(checkResultShape(result), []);
      assert.equal(result.failed, 0, `scenario ${scenario}: ${JSON.stringify(result.errors)}`);
      assert.equal(result.success, 150);
      assert.equal(result.config.subjects, 60, 'subjects come from the node');
      // The 10 distinct requests were all seen during warm-up.
      assert.equal(result.hit_rate?.percent, 100, `scenario ${scenario}: ${JSON.stringify(result.hit_rate)}`);
    }
  });
});
