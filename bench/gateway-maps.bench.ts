// The gateway's small bounded maps on the request path, each through the class that owns it:
// the request-info memo (body -> routing key), the scatter merge memo (plan -> last merged
// answer) and the per-IP token buckets of the rate limiter; hot sets and floods that evict.
import { RequestInfoCache } from '../src/gateway/requestInfo';
import { RateLimiter } from '../src/gateway/rateLimit';
import { HashRing } from '../src/gateway/ring';
import { MergeMemo } from '../src/gateway/scatter/merge';
import { ScatterPlanner } from '../src/gateway/scatter/plan';
import type { MicroBench } from './_fixture';

const bench: MicroBench = {
  title: 'gateway bounded maps',
  register(b, f) {
    const subjects = f.subjects;
    const body = (i: number): Buffer =>
      Buffer.from(JSON.stringify({ ids: 'operating_income,net_profit', subjects: `${subjects[i % subjects.length]},${subjects[(i * 7 + 1) % subjects.length]}`, limit: 20, offset: i }));
    const hot = Array.from({ length: 64 }, (_, i) => body(i));
    // More distinct bodies than the memo keeps (4096), so every lookup misses and evicts.
    const flood = Array.from({ length: 10_000 }, (_, i) => body(i + 1000));

    const infos = new RequestInfoCache();
    for (const x of hot) infos.get(x);
    let h = 0;
    b.add('request info: hot body (memo hit)', () => infos.get(hot[h++ & 63]));
    const infosFlood = new RequestInfoCache();
    let m = 0;
    b.add('request info: distinct bodies (miss, parse, evict)', () => infosFlood.get(flood[m++ % flood.length]));

    const off = { rps: 0, burst: 0 };
    const limiter = new RateLimiter({ global: off, perRoute: off, perIp: { rps: 1e9, burst: 1e9 } });
    const hotIps = Array.from({ length: 64 }, (_, i) => `10.0.0.${i}`);
    const floodIps = Array.from({ length: 30_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    let r = 0;
    b.add('rate limit: per-IP check, 64 clients', () => limiter.check('/snapshot', hotIps[r++ & 63]));
    const limiterFlood = new RateLimiter({ global: off, perRoute: off, perIp: { rps: 1e9, burst: 1e9 } });
    let q = 0;
    b.add('rate limit: per-IP check, 30,000 clients (evict)', () => limiterFlood.check('/snapshot', floodIps[q++ % floodIps.length]));

    const ring = new HashRing();
    ring.set(['s1', 's2', 's3']);
    const planner = new ScatterPlanner(ring);
    const many = Buffer.from(JSON.stringify({ ids: 'net_profit', subjects: subjects.slice(0, 20).join(','), limit: 10 }));
    const plan = planner.plan(infos.get(many), 'snapshot', 1)!;
    const parts = plan.parts.map((p, i) =>
      Buffer.from(JSON.stringify({ status_code: 0, status_msg: 'success', data: [{ subject: { subject: p.key }, data: { net_profit: i, operating_income: i } }] })),
    );
    const merges = new MergeMemo();
    merges.merge(plan, parts);
    b.add('scatter merge memo: same part answers (hit)', () => merges.merge(plan, parts));
  },
};
export default bench;
