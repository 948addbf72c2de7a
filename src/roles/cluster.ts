// `kamaitachi cluster up` as a process: starts the local cluster, prints where everything is
// (and one machine-readable READY line), reports children that die, and stops them all on
// SIGINT/SIGTERM so no orphan keeps a port.
import { join, relative } from 'node:path';
import { startLocalCluster, stopChildren, StartupError, type LocalCluster } from '../supervisor/localCluster';
import { describeExit, type ChildRole } from '../supervisor/child';
import { callJson } from '../cluster/jsonClient';
import type { ClusterUpOptions } from '../config/clusterUp';
import { DATA_ROUTES, GATEWAY_DATA_PREFIX } from '../shared/routes';
import { exitCodeOf } from '../shared/errors';
import { failStart } from './lifecycle';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const complain = (line: string): void => void process.stderr.write(`kamaitachi cluster: ${line}\n`);

export async function runClusterUp(resolve: () => ClusterUpOptions): Promise<void> {
  let o: ClusterUpOptions;
  try {
    o = resolve();
  } catch (err) {
    failStart('cluster', err);
  }
  let cluster: LocalCluster | undefined;
  const children: ChildRole[] = [];
  let stopping = false;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // The same Ctrl-C often arrives twice (from the terminal and from npm/start.mjs); only a
      // later second one means "stop waiting".
      if (Date.now() - firstSignalAt < 500) return;
      for (const c of children) c.kill();
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
    say(`${signal}: stopping the cluster...`);
    void stopChildren(children, o.stopGraceMs).then(() => {
      say('cluster stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // Last resort if this process dies of a bug: children run in their own process group, so
  // nothing else would stop them.
  process.on('exit', () => {
    for (const c of children) c.kill();
  });

  say(`starting master, ${o.slaves} slave${o.slaves > 1 ? 's' : ''} and the gateway (data in ${o.dataDir})...`);
  try {
    cluster = await startLocalCluster(o, say, children);
  } catch (err) {
    if (stopping) return;
    complain(err instanceof StartupError ? err.message : String((err as Error)?.stack ?? err));
    process.exit(exitCodeOf(err));
  }
  if (stopping) return;

  for (const c of cluster.all) {
    void c.exited.then((exit) => {
      if (!stopping) complain(`${c.name} (pid ${c.pid}) exited unexpectedly (${describeExit(exit)}); the others keep running. Its last output:\n  ${c.lastLines().join('\n  ')}`);
    });
  }
  await printSummary(cluster, o);
}

async function printSummary(cluster: LocalCluster, o: ClusterUpOptions): Promise<void> {
  const gw = cluster.gateway.url as string;
  const subjects = await sampleSubjects(cluster.slaves[0]?.url);
  const bundle = relative(process.cwd(), process.argv[1]) || process.argv[1];
  const rows = [
    ['master', cluster.master],
    ...cluster.slaves.map((s) => [s.name, s] as const),
    ['gateway', cluster.gateway],
  ] as const;
  say('');
  say(`kamaitachi cluster is up: ${o.slaves} slave${o.slaves > 1 ? 's' : ''}`);
  for (const [name, c] of rows) say(`  ${name.padEnd(8)} ${c.url}  (pid ${c.pid})`);
  say(`  status   ${gw}/ui  (live page; each node has its own at <node>/ui)`);
  say(`  logs     ${join(o.dataDir, 'logs')}/`);
  say('');
  say('Try:');
  say(
    `  curl -s -XPOST ${gw}${GATEWAY_DATA_PREFIX}${DATA_ROUTES.snapshot} -H 'content-type: application/json' ` +
      `-d '{"ids":"operating_income,parent_holder_net_profit","subjects":"${subjects.join(',')}","field":"report_date","limit":20}'`,
  );
  const auth = o.token ? ` -H 'authorization: Bearer ${o.token}'` : '';
  say(
    `  curl -s -XPOST ${gw}${GATEWAY_DATA_PREFIX}${DATA_ROUTES.reports} -H 'content-type: application/json'${auth} ` +
      `-d '{"reports":[{"subject_key":"${subjects[0]}","report_date":1893456000,"operating_income":1.5e9,"parent_holder_net_profit":2.5e8}]}'`,
  );
  say(`  curl -s ${gw}${DATA_ROUTES.stats}`);
  say(`  node ${bundle} bench --scenario 1 --requests 20000 --concurrent 50 --repeat 10 --target ${gw}${GATEWAY_DATA_PREFIX}`);
  if (!o.token) say('  (writes are accepted from this machine only; start with --token <secret> to take them from anywhere)');
  say('');
  say('Ctrl-C stops everything.');
  say(`READY ${JSON.stringify({ gateway: gw, master: cluster.master.url, slaves: cluster.slaves.map((s) => s.url) })}`);
}

/** Two subjects that exist, for the example curl; falls back to the usual first codes. */
async function sampleSubjects(slave: string | undefined): Promise<string[]> {
  const fallback = ['33:000001', '33:000002'];
  if (!slave) return fallback;
  try {
    const a = await callJson(`${slave}${DATA_ROUTES.subjects}?offset=0&limit=2`, { timeoutMs: 1000 });
    const data = a.envelope?.data as unknown;
    const list = Array.isArray(data) ? data : Array.isArray((data as { subjects?: unknown })?.subjects) ? (data as { subjects: unknown[] }).subjects : [];
    const keys = list.map((s) => (typeof s === 'string' ? s : (s as { subject?: unknown })?.subject)).filter((s): s is string => typeof s === 'string');
    return keys.length >= 2 ? keys.slice(0, 2) : fallback;
  } catch {
    return fallback;
  }
}
