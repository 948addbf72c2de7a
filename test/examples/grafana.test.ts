// examples/grafana: every metric the dashboard queries is exposed by a real gateway or data node,
// and the scrape config's job names are the dashboard's defaults.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest, makeDb, startNode, tempDir } from '../helpers';
import { ManualMembership, startTestGateway } from '../helpers';

const DIR = join(import.meta.dirname, '..', '..', 'examples', 'grafana');

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

function dashboard(): { panels: Panel[]; templating: { list: Array<{ name: string; query: string }> } } {
  return JSON.parse(readFileSync(join(DIR, 'kamaitachi-dashboard.json'), 'utf8'));
}

/** Metric names of a Prometheus text exposition. */
async function exposed(url: string): Promise<Set<string>> {
  const text = (await httpRequest(`${url}/metrics`)).text;
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
}

describe('grafana example', () => {
  it('queries only metrics that the gateway and the data nodes expose', async (t) => {
    const db = await makeDb(tempDir(t), { stocks: 5 });
    const node = await startNode(t, { db });
    const gw = await startTestGateway(new ManualMembership([{ id: 'slave1', addr: node.url }]));
    t.after(() => gw.close());
    const names = new Set([...(await exposed(gw.url)), ...(await exposed(node.url))]);

    const panels = dashboard().panels.filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 15);
    const used = new Set<string>();
    for (const p of panels) {
      assert.ok(p.targets && p.targets.length > 0, `panel "${p.title}" has no query`);
      for (const target of p.targets) for (const m of target.expr.matchAll(/\bkamaitachi_[a-z0-9_]+/g)) used.add(m[0]);
    }
    const missing = [...used].filter((n) => !names.has(n));
    assert.deepEqual(missing, [], 'metrics the dashboard queries but nobody exposes');
    assert.ok(used.has('kamaitachi_gateway_breaker_state') && used.has('kamaitachi_cache_hits_total'));
  });

  it('scrapes under the job names the dashboard expects', () => {
    const vars = new Map(dashboard().templating.list.map((v) => [v.name, v.query]));
    const scrape = readFileSync(join(DIR, 'prometheus.yml'), 'utf8');
    const jobs = [...scrape.matchAll(/job_name:\s*(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(jobs, [vars.get('gateway_job'), vars.get('node_job')]);
  });
});
