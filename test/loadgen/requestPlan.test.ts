import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, generateRequests, parseTarget, poolSize, RANDOM_POOL_MAX } from '../../src/loadgen/requestPlan';
import { SCENARIOS, SPEC_INDICATORS, scenarioById, type ScenarioContext } from '../../src/loadgen/scenarios';
import { FAKE_SUBJECTS } from './_helpers';

const ctx: ScenarioContext = { subjects: FAKE_SUBJECTS, indicators: [...SPEC_INDICATORS], topic: 'stock_a_listing_pool' };
const bodies = (scenario: number, seed: number, n = 200) =>
  generateRequests(scenarioById(scenario)!, ctx, seed, n).map((r) => `${r.endpoint} ${JSON.stringify(r.body)}`);

describe('request generation', () => {
  it('gives the identical body sequence for the same seed, in every scenario', () => {
    for (const s of SCENARIOS) assert.deepEqual(bodies(s.id, 7), bodies(s.id, 7), `scenario ${s.id}`);
  });

  it('gives a different sequence for a different seed', () => {
    assert.notDeepEqual(bodies(1, 7), bodies(1, 8));
  });

  it('encodes the same bytes for the same seed, per target', () => {
    const targets = [parseTarget('http://127.0.0.1:9000/data'), parseTarget('http://127.0.0.1:8081')];
    const a = buildPlan(scenarioById(7)!, ctx, 3, 50, targets);
    const b = buildPlan(scenarioById(7)!, ctx, 3, 50, targets);
    assert.deepEqual(a.wire, b.wire);
    const first = a.wire[0][0].toString();
    assert.match(first, /^POST \/data\/kamaitachi\/api\/data\/v1\/(snapshot|period) HTTP\/1\.1\r\nHost: 127\.0\.0\.1:9000\r\n/);
    assert.ok(first.endsWith(`\r\n\r\n${a.bodies[0]}`));
    assert.match(first, new RegExp(`Content-Length: ${Buffer.byteLength(a.bodies[0])}\r\n`));
    assert.match(a.wire[1][0].toString(), /^POST \/kamaitachi\/api\/data\/v1\//);
  });

  it('builds scenarios 1-4 as SPEC section 6 describes them', () => {
    const body = (id: number) => generateRequests(scenarioById(id)!, ctx, 1, 1)[0].body;
    const count = (v: unknown) => String(v).split(',').length;
    const b1 = body(1);
    assert.equal(count(b1.ids), 3);
    assert.equal(count(b1.subjects), 2);
    assert.deepEqual([b1.field, b1.order, b1.limit], ['report_date', -1, 20]);
    const b2 = body(2);
    assert.deepEqual([count(b2.ids), count(b2.subjects), b2.field, b2.limit], [2, 1, 'operating_income', 8]);
    const b3 = body(3);
    assert.deepEqual([count(b3.ids), count(b3.subjects), b3.limit], [4, 50, 20]);
    assert.equal(new Set(String(b3.subjects).split(',')).size, 50, 'subjects are distinct');
    const b4 = body(4);
    assert.deepEqual([count(b4.ids), count(b4.subjects), b4.limit, b4.timestamp], [3, 3, 10, 1696032000]);
    for (const b of [b1, b2, b3, b4]) {
      for (const id of String(b.ids).split(',')) assert.ok((SPEC_INDICATORS as readonly string[]).includes(id), id);
      assert.equal(new Set(String(b.ids).split(',')).size, count(b.ids), 'ids are distinct');
    }
  });

  it('builds a 5-year period, a top-100 topic query and a mix of every kind', () => {
    const p = generateRequests(scenarioById(5)!, ctx, 1, 1)[0];
    assert.equal(p.endpoint, 'period');
    const years = (Number(p.body.to) - Number(p.body.from)) / (365.25 * 86400);
    assert.ok(years > 4.9 && years < 5.1, `window of ${years} years`);
    const t = generateRequests(scenarioById(6)!, ctx, 1, 1)[0].body;
    assert.deepEqual([t.topic, t.limit, String(t.ids).split(',')[0]], ['stock_a_listing_pool', 100, t.field]);
    const mix = generateRequests(scenarioById(7)!, ctx, 1, 2000);
    assert.ok(mix.some((r) => r.endpoint === 'period'));
    assert.ok(mix.some((r) => r.body.topic !== undefined));
    assert.ok(mix.some((r) => r.body.timestamp === 1696032000));
  });

  it('restricts ids to the indicators the target serves', () => {
    const two: ScenarioContext = { ...ctx, indicators: ['operating_income', 'parent_holder_net_profit'] };
    const b = generateRequests(scenarioById(3)!, two, 1, 1)[0].body;
    assert.deepEqual(String(b.ids).split(',').sort(), ['operating_income', 'parent_holder_net_profit']);
  });

  it('generates K distinct requests for --repeat K and caps random pools', () => {
    assert.equal(poolSize(10, 5000), 10);
    assert.equal(poolSize(0, 5000), 5000);
    assert.equal(poolSize(0, Infinity), RANDOM_POOL_MAX);
  });
});
