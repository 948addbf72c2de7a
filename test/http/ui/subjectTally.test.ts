// The data node's sampled, bounded count of requested subjects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SubjectTally, subjectsOf } from '../../../src/http/ui/subjectTally';

const body = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

describe('subject tally', () => {
  it('reads the subjects of a request body in both wire forms', () => {
    assert.deepEqual(subjectsOf(body({ ids: 'net_profit', subjects: '33:000001,33:000002' })), ['33:000001', '33:000002']);
    assert.deepEqual(subjectsOf(Buffer.from('{"subjects" : "17:600000", "limit": 3}')), ['17:600000']);
    assert.deepEqual(subjectsOf(body({ subjects: ['33:000003', 7, '33:000004'] })), ['33:000003', '33:000004']);
    assert.deepEqual(subjectsOf(body({ topic: 'stock_a_listing_pool' })), []);
    assert.deepEqual(subjectsOf(Buffer.from('{"subjects":"33:0000')), []);
  });

  it('counts only the sampled requests and ranks the subjects most asked for first', () => {
    const draws = [0.01, 0.5, 0.01, 0.01, 0.9];
    let i = 0;
    const tally = new SubjectTally({ sampleEvery: 16, random: () => draws[i++ % draws.length] });
    for (let k = 0; k < 5; k++) tally.observe(body({ subjects: k < 3 ? '33:000001,33:000002' : '33:000002' }));
    // Draws under 1/16 sample requests 0, 2 and 3: two name both subjects, one only the second.
    assert.equal(tally.sampled, 3);
    assert.deepEqual(tally.top(5), [
      { subject: '33:000002', count: 3 },
      { subject: '33:000001', count: 2 },
    ]);
  });

  it('stays bounded however many distinct subjects arrive', () => {
    const tally = new SubjectTally({ random: () => 0, maxSubjects: 50 });
    for (let k = 0; k < 10_000; k++) tally.observe(body({ subjects: `33:${String(k).padStart(6, '0')}` }));
    tally.observe(body({ subjects: '33:009999' }));
    const top = tally.top(1000);
    assert.ok(top.length <= 100, `${top.length} subjects kept`);
    assert.deepEqual(top[0], { subject: '33:009999', count: 2 });
  });

  it('forgets what was hot two generations ago', () => {
    let now = 0;
    const tally = new SubjectTally({ random: () => 0, generationMs: 60_000, now: () => now });
    tally.observe(body({ subjects: '33:000001' }));
    now = 61_000;
    tally.observe(body({ subjects: '33:000002' }));
    assert.deepEqual(tally.top(5).map((c) => c.subject), ['33:000001', '33:000002']);
    now = 122_000;
    assert.deepEqual(tally.top(5).map((c) => c.subject), ['33:000002']);
    now = 400_000;
    assert.deepEqual(tally.top(5), []);
    assert.equal(tally.sampled, 0);
  });
});
