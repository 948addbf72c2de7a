// The fakes in test/helpers.ts stand in for data nodes in the gateway and load generator tests;
// they are only worth it if they answer exactly as a real node does. Each answer is compared with
// a real node's for the same request: status, content type, and the JSON shape with field order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningNode } from '../src/roles/node';
import { DATA_ROUTES, HEALTH } from '../src/shared/routes';
import { http, makeDb, startFakeNode, startFakeSlave, startNode, tempDir, type FakeNode, type FakeSlave, type HttpAnswer } from './helpers';

/** Field names in order and value types, recursively; an array by its first element. */
function shapeOf(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? [] : [shapeOf(v[0])];
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, shapeOf(x)]);
  return typeof v;
}

function assertSameAnswer(fake: HttpAnswer, real: HttpAnswer, what: string): void {
  assert.equal(fake.status, real.status, `${what}: status`);
  assert.equal(fake.headers['content-type'], real.headers['content-type'], `${what}: content type`);
  assert.deepEqual(shapeOf(fake.json), shapeOf(real.json), `${what}: shape`);
}

describe('the fakes answer as a real node does', () => {
  let real: RunningNode;
  let slave: FakeSlave;
  let node: FakeNode;
  const teardown: Array<() => Promise<void> | void> = [];
  const t = { after: (fn: () => Promise<void> | void) => void teardown.push(fn) };

  before(async () => {
    real = await startNode(t, { db: await makeDb(tempDir(t), { stocks: 40 }) });
    slave = await startFakeSlave('s1');
    node = await startFakeNode();
  });
  after(async () => {
    await slave?.close();
    await node?.close();
    for (const fn of teardown.reverse()) await fn();
  });

  const both = async (method: string, path: string, body?: string): Promise<[HttpAnswer, HttpAnswer]> => [
    await http(method, `${slave.url}${path}`, body),
    await http(method, `${real.url}${path}`, body),
  ];

  it('a snapshot: envelope, subject object and data, with status "213001" and an empty listing date', async () => {
    const [fake, node] = await both('POST', DATA_ROUTES.snapshot, JSON.stringify({ ids: 'operating_income,net_profit', subjects: '33:000001' }));
    assertSameAnswer(fake, node, 'snapshot');
    const { subject: fs, name: fn, ...fakeRest } = fake.json.data[0].subject;
    const { subject: rs, name: rn, ...realRest } = node.json.data[0].subject;
    assert.deepEqual([fs, typeof fn], [rs, typeof rn]);
    assert.deepEqual(fakeRest, realRest);
    assert.deepEqual(fakeRest, { status: '213001', listing_date: '', category: 'stock' });
  });

  it('a period: every item field in the node order', async () => {
    const [fake, node] = await both('POST', DATA_ROUTES.period, JSON.stringify({ ids: 'net_profit,year', subjects: '33:000001', from: 0, to: 2_000_000_000 }));
    assertSameAnswer(fake, node, 'period');
  });

  it('errors: the error envelope with its code, for bad JSON and an unknown route', async () => {
    const [fakeBad, nodeBad] = await both('POST', DATA_ROUTES.snapshot, '{nope');
    assertSameAnswer(fakeBad, nodeBad, 'bad JSON');
    assert.equal(fakeBad.json.error_code, nodeBad.json.error_code);
    const [fakeMissing, nodeMissing] = await both('GET', '/no/such/route');
    assertSameAnswer(fakeMissing, nodeMissing, 'unknown route');
    assert.deepEqual(fakeMissing.json, nodeMissing.json);
  });

  it('health, stats, subjects and cache reset', async () => {
    for (const [method, path] of [
      ['GET', HEALTH],
      ['GET', DATA_ROUTES.stats],
      ['GET', `${DATA_ROUTES.subjects}?offset=0&limit=1000`],
      ['POST', DATA_ROUTES.cacheReset],
    ] as const) {
      const [fake, node] = await both(method, path, method === 'POST' ? '{}' : undefined);
      assertSameAnswer(fake, node, path);
    }
  });

  it("the load generator's scripted node: health, stats, subjects, data and a scripted failure", async () => {
    for (const path of [HEALTH, DATA_ROUTES.stats, `${DATA_ROUTES.subjects}?offset=0&limit=1000`]) {
      assertSameAnswer(await http('GET', `${node.url}${path}`), await http('GET', `${real.url}${path}`), path);
    }
    const data = await http('POST', `${node.url}${DATA_ROUTES.snapshot}`, '{"ids":"net_profit","subjects":"33:999999"}');
    const empty = await http('POST', `${real.url}${DATA_ROUTES.snapshot}`, '{"ids":"net_profit","subjects":"33:999999"}');
    assertSameAnswer(data, empty, 'data');
    const scripted = await startFakeNode({ statusFor: () => 404 });
    try {
      assertSameAnswer(await http('POST', `${scripted.url}${DATA_ROUTES.snapshot}`, '{}'), await http('GET', `${real.url}/no/such/route`), 'scripted 404');
    } finally {
      await scripted.close();
    }
  });
});
