import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot, writeSnapshot, type SnapshotEntry } from '../../src/cache/SnapshotFile';
import { SnapshotSaver } from '../../src/cache/SnapshotSaver';
import { tempDir } from '../helpers';

function sample(n: number): SnapshotEntry[] {
  const out: SnapshotEntry[] = [{ kind: 'view', topic: 'stock_a_listing_pool', asOf: 0 }];
  for (let i = 0; i < n; i++) {
    out.push({ kind: 'answer', key: `aS{"ids":"net_profit","subjects":"33:${String(i).padStart(6, '0')}"}`, body: Buffer.from(`{"data":"平安银行 ${i}"}`), tags: [`S33:${i}`, 'T白酒'] });
  }
  return out;
}

async function load(path: string, fingerprint = 'fp') {
  const got: SnapshotEntry[] = [];
  const result = await readSnapshot(path, fingerprint, (e) => got.push(e));
  return { result, got };
}

describe('the cache snapshot file', () => {
  it('gives back every entry in order, bytes and tags intact', async (t) => {
    const path = join(tempDir(t), 'node.snapshot');
    const entries = sample(5000);
    const written = await writeSnapshot(path, 'fp', entries);
    assert.equal(written.entries, entries.length);
    const { result, got } = await load(path);
    assert.deepEqual(result, { entries: entries.length });
    assert.deepEqual(got, entries);
  });

  it('is unusable when taken from other data, missing, or not a snapshot', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'node.snapshot');
    await writeSnapshot(path, 'fp', sample(3));
    assert.match(((await load(path, 'other')).result as { unusable: string }).unusable, /different data/);
    assert.match(((await load(join(dir, 'none'))).result as { unusable: string }).unusable, /no snapshot file/);
    writeFileSync(join(dir, 'old'), '{"version":2,"answers":[]}');
    assert.match(((await load(join(dir, 'old'))).result as { unusable: string }).unusable, /not a kamaitachi cache snapshot/);
  });

  it('keeps the entries before a damaged or truncated part and says so', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'node.snapshot');
    await writeSnapshot(path, 'fp', sample(100));
    const bytes = readFileSync(path);
    const flipped = Buffer.from(bytes);
    flipped[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(join(dir, 'flipped'), flipped);
    const a = await load(join(dir, 'flipped'));
    assert.ok(a.got.length > 10 && a.got.length < 101, `${a.got.length} entries loaded`);
    assert.match((a.result as { warning: string }).warning, /damaged/);
    writeFileSync(join(dir, 'cut'), bytes.subarray(0, bytes.length - 30));
    const b = await load(join(dir, 'cut'));
    assert.match((b.result as { warning: string }).warning, /truncated/);
    assert.equal(b.got.length, 100);
  });

  it('never runs two saves at once, and leaves no temporary file behind', async (t) => {
    const dir = tempDir(t);
    let running = 0;
    let most = 0;
    let reads = 0;
    const saver = new SnapshotSaver(join(dir, 'node.snapshot'), () => {
      reads++;
      return {
        fingerprint: 'fp',
        entries: (function* () {
          running++;
          most = Math.max(most, running);
          yield* sample(20_000);
          running--;
        })(),
      };
    });
    const saves = [saver.save(), saver.save(), saver.save(), saver.save()];
    const results = await Promise.all(saves);
    assert.equal(most, 1);
    // The first runs at once; the three asked for meanwhile share one later save.
    assert.equal(reads, 2);
    assert.equal(results[1], results[3]);
    assert.deepEqual(readdirSync(dir), ['node.snapshot']);
  });
});
