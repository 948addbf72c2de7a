// gen-data's subject tags: one industry per company, 0..5 distinct concepts, drawn from the seed
// and the company's index only (so the same company gets the same tags whatever --stocks is).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateDatabase } from '../../src/gendata/generate';
import { companyTags, CONCEPTS, INDUSTRIES } from '../../src/gendata/tags';
import { openReference, sqlRows, tempDir } from '../helpers';

async function tagsOf(dir: string, name: string, stocks: number, seed: number): Promise<Map<string, { industry: string[]; concept: string[] }>> {
  const out = `${dir}/${name}`;
  await generateDatabase({ out, stocks, startYear: 2023, endYear: 2023, seed, noise: 0 });
  const db = await openReference(out);
  const m = new Map<string, { industry: string[]; concept: string[] }>();
  for (const s of sqlRows(db, 'SELECT DISTINCT subject_key FROM finance_data')) m.set(String(s.subject_key), { industry: [], concept: [] });
  for (const t of sqlRows(db, 'SELECT subject_key, kind, value FROM subject_tags ORDER BY rowid')) {
    const entry = m.get(String(t.subject_key));
    assert.ok(entry, `a tag of ${String(t.subject_key)}, which has no reports`);
    entry[t.kind as 'industry' | 'concept'].push(String(t.value));
  }
  return m;
}

describe('gen-data subject tags', () => {
  it('gives every company one industry and 0..5 distinct concepts from the lists', async (t) => {
    const tags = await tagsOf(tempDir(t), 'a.db', 400, 42);
    const industries = new Set<string>();
    const counts = [0, 0, 0, 0, 0, 0];
    for (const [subject, { industry, concept }] of tags) {
      assert.equal(industry.length, 1, subject);
      assert.ok((INDUSTRIES as readonly string[]).includes(industry[0]));
      industries.add(industry[0]);
      assert.ok(concept.length <= 5);
      assert.equal(new Set(concept).size, concept.length);
      for (const c of concept) assert.ok((CONCEPTS as readonly string[]).includes(c), c);
      counts[concept.length]++;
    }
    assert.ok(industries.size >= 25, `industries spread: ${industries.size}`);
    assert.ok(counts.every((n) => n > 0), `every concept count occurs: ${counts.join(',')}`);
  });

  it('draws the same tags for the same seed and company whatever --stocks is, other tags for another seed', async (t) => {
    const dir = tempDir(t);
    const [big, small, other] = await Promise.all([tagsOf(dir, 'big.db', 60, 3), tagsOf(dir, 'small.db', 20, 3), tagsOf(dir, 'other.db', 20, 4)]);
    assert.equal(small.size, 20);
    for (const [subject, tags] of small) assert.deepEqual(big.get(subject), tags, subject);
    assert.notDeepEqual([...other.values()], [...small.values()]);
    assert.deepEqual(companyTags(3, 7), companyTags(3, 7));
  });
});
