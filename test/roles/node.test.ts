// A data node started in this process: its cache snapshot file across a restart, and a corrupt one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveNodeConfig } from '../../src/config/node';
import { startDataNode } from '../../src/roles/node';
import { API, httpRequest, makeDb, post, tempDir } from '../helpers';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('data node lifecycle', () => {
  it('comes back warm from its snapshot file after a restart', async (t) => {
    const dir = tempDir(t);
    const db = await makeDb(dir, { stocks: 30 });
    const config = resolveNodeConfig('slave', { db, port: '0', snapshot: join(dir, 'node.snapshot') });
    const req = { ids: 'operating_income,net_profit', subjects: '33:000001,17:600001', field: 'net_profit' };

    const first = await startDataNode(config, pino({ level: 'silent' }));
    const answer = await post(first.url, `${API}/snapshot`, req);
    await post(first.url, `${API}/period`, { ids: 'roe', subjects: '33:000002', from: 0, to: 2e9 });
    await first.close();
    assert.ok(existsSync(join(dir, 'node.snapshot')));

    const { logger, lines } = capturingLogger();
    const second = await startDataNode(config, logger);
    // Closed here, not in t.after: teardown hooks run in the order they were added, so the temp
    // dir would be removed first and the snapshot saved at close would land in a fresh one.
    try {
      assert.ok(lines.some((l) => l.event === 'snapshot_loaded'));
      const again = await post(second.url, `${API}/snapshot`, req);
      assert.equal(again.text, answer.text);
      const { cache } = (await httpRequest(`${second.url}${API}/stats`)).json.data;
      assert.equal(cache.hits, 1);
      assert.equal(cache.misses, 0);
    } finally {
      await second.close();
    }
  });

  it('starts cold with a warning when the snapshot file is corrupt', async (t) => {
    const dir = tempDir(t);
    const snapshot = join(dir, 'bad.snapshot');
    writeFileSync(snapshot, '{"version":1,"answers":[["aS{}", "AAA');
    const { logger, lines } = capturingLogger();
    const node = await startDataNode(resolveNodeConfig('slave', { db: await makeDb(dir, { stocks: 5 }), port: '0', snapshot }), logger);
    try {
      const warning = lines.find((l) => l.event === 'snapshot_skipped');
      assert.match(String(warning?.reason), /not a kamaitachi cache snapshot/);
      assert.equal((await post(node.url, `${API}/snapshot`, { ids: 'roe', subjects: '33:000001' })).status, 200);
    } finally {
      await node.close(); // before the temp dir goes (see above)
    }
  });
});
