// A whole cluster on this machine: master, N slaves (each on its own copy of the database) and
// the gateway as child processes, started in dependency order and checked healthy, stopped in
// reverse order. If any child dies during startup the rest are stopped and the error says which
// one and why.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HEALTH } from '../shared/routes';
import { callJson } from '../cluster/jsonClient';
import { ChildRole, describeExit } from './child';
import { ensureDatabase, nodeCopy } from './dataFiles';
import { probeEtcd } from '../cluster/etcdClient';
import type { ClusterUpOptions } from '../config/clusterUp';

export interface LocalCluster {
  readonly master: ChildRole;
  readonly slaves: readonly ChildRole[];
  readonly gateway: ChildRole;
  readonly all: readonly ChildRole[];
  /** Gateway first, then slaves (they deregister), then the master; SIGKILL past the grace time. */
  stop(): Promise<void>;
}

export class StartupError extends Error {
  constructor(
    message: string,
    readonly child: ChildRole | undefined,
  ) {
    super(message);
  }
}

/**
 * `started` receives every child as it is spawned, so a caller interrupted during startup can
 * stop what is already running.
 */
export async function startLocalCluster(o: ClusterUpOptions, say: (line: string) => void, started: ChildRole[] = []): Promise<LocalCluster> {
  if (o.etcd) {
    const down = await probeEtcd(o.etcd);
    if (down) throw new StartupError(`etcd is not answering (${down}); start it first, e.g. etcd --data-dir /tmp/kamaitachi-etcd`, undefined);
  }
  await mkdir(join(o.dataDir, 'logs'), { recursive: true });
  await ensureDatabase(o.db, o.stocks, say);
  const names = ['master', ...Array.from({ length: o.slaves }, (_, i) => `slave${i + 1}`)];
  const copies = await Promise.all(names.map((n) => nodeCopy(o.db, o.dataDir, n)));
  const deadline = Date.now() + o.startupTimeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());

  const spawnRole = (name: string, args: string[]): ChildRole => {
    const child = new ChildRole({ name, args, logFile: join(o.dataDir, 'logs', `${name}.log`) });
    started.push(child);
    return child;
  };
  // With etcd, every role finds the others there: slaves and the gateway get no --master.
  const etcdArgs = o.etcd ? ['--etcd', o.etcd.join(','), ...(o.etcdPrefix ? ['--etcd-prefix', o.etcdPrefix] : [])] : [];
  const nodeArgs = (role: string, i: number, port: number): string[] => [
    role,
    '--db', copies[i],
    '--host', o.host,
    '--port', String(port),
    '--name', names[i],
    '--snapshot', join(o.dataDir, `${names[i]}.snapshot`),
    '--log-level', o.logLevel,
    ...etcdArgs,
    ...(o.token ? ['--token', o.token] : []),
    ...(o.unknownIds ? ['--unknown-ids', o.unknownIds] : []),
  ];

  try {
    const master = spawnRole('master', nodeArgs('master', 0, o.masterPort));
    const masterUrl = await ready(master, left);
    const slaves = names.slice(1).map((name, k) =>
      spawnRole(name, [...nodeArgs('slave', k + 1, o.slaveBasePort === 0 ? 0 : o.slaveBasePort + k), ...(o.etcd ? [] : ['--master', masterUrl])]),
    );
    await Promise.all(slaves.map((s) => ready(s, left)));
    const gatewayArgs = ['gateway', '--host', o.host, '--port', String(o.gatewayPort), ...(o.etcd ? etcdArgs : ['--master', masterUrl]), '--log-level', o.logLevel];
    if (o.token) gatewayArgs.push('--token', o.token);
    if (o.routing) gatewayArgs.push('--routing', o.routing);
    if (o.gatewayConfig) gatewayArgs.push('--config', o.gatewayConfig);
    const gateway = spawnRole('gateway', gatewayArgs);
    const gatewayUrl = await ready(gateway, left);
    await until(async () => (await health(gatewayUrl))?.count === o.slaves, started, left(), `the gateway to see ${o.slaves} slaves`);
    return { master, slaves, gateway, all: started, stop: () => stopChildren(started, o.stopGraceMs) };
  } catch (err) {
    await stopChildren(started, o.stopGraceMs);
    if (err instanceof StartupError) throw err;
    throw new StartupError((err as Error).message, undefined);
  }
}

/** Its URL once it logs "listening" and answers /health. */
async function ready(child: ChildRole, left: () => number): Promise<string> {
  let url: string;
  try {
    url = await child.listening(left());
  } catch (err) {
    throw failure(child, (err as Error).message);
  }
  await until(async () => (await health(url)) !== undefined, [child], left(), `${child.name} to answer /health`);
  return url;
}

/** Polls `check` every 50 ms; fails early when one of `watch` exits. */
async function until(check: () => Promise<boolean>, watch: readonly ChildRole[], timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const dead = watch.find((c) => !c.running);
    if (dead) throw failure(dead, `${dead.name} exited during startup (${describeExit(await dead.exited)})`);
    if (await check()) return;
    if (Date.now() > end) throw new StartupError(`timed out waiting for ${what}`, undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function health(url: string): Promise<{ count?: number } | undefined> {
  try {
    const a = await callJson(`${url}${HEALTH}`, { timeoutMs: 1000 });
    return a.status === 200 ? ((a.envelope ?? {}) as { count?: number }) : undefined;
  } catch {
    return undefined;
  }
}

function failure(child: ChildRole, message: string): StartupError {
  const tail = child.lastLines();
  return new StartupError(tail.length > 0 ? `${message}; its last output:\n  ${tail.join('\n  ')}` : message, child);
}

/** Gateway first, then the slaves (they deregister), then the master; SIGKILL past `graceMs`. */
export async function stopChildren(children: readonly ChildRole[], graceMs: number): Promise<void> {
  const gateway = children.filter((c) => c.name === 'gateway');
  const slaves = children.filter((c) => c.name.startsWith('slave'));
  const master = children.filter((c) => c.name === 'master');
  for (const group of [gateway, slaves, master]) await Promise.all(group.map((c) => c.stop(graceMs)));
}
