// The [etcd] settings: endpoints, prefix and ttl read once for nodes, the gateway and
// `cluster up`; a bad one stops the role with one line and exit code 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveClusterUpOptions } from '../../src/config/clusterUp';
import { ETCD_DEFAULTS } from '../../src/config/etcd';
import { resolveGatewayConfig } from '../../src/config/gateway';
import { resolveNodeConfig } from '../../src/config/node';
import { BUNDLE, tempDir } from '../helpers';

const CONF = join(import.meta.dirname, '..', '..', 'conf');

function runBundle(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('etcd config', () => {
  it('is off unless endpoints are given, so the shipped conf/*.ini and npm start need no etcd', () => {
    assert.equal(resolveNodeConfig('slave', {}).etcd, undefined);
    for (const f of ['master.ini', 'slave1.ini', 'slave2.ini']) assert.equal(resolveNodeConfig('slave', { config: join(CONF, f) }).etcd, undefined, f);
    assert.equal(resolveGatewayConfig({ config: join(CONF, 'gateway.ini') }).etcd, undefined);
    assert.equal(resolveClusterUpOptions({}).etcd, undefined);
  });

  it('reads conf/etcd/*.ini, and the gateway then follows etcd instead of a default master', () => {
    const slave = resolveNodeConfig('slave', { config: join(CONF, 'etcd', 'slave1.ini') });
    assert.deepEqual(slave.etcd, { endpoints: ['http://127.0.0.1:2379'], prefix: '/kamaitachi/nodes/', ttlSec: 10 });
    assert.equal(slave.master, undefined);
    assert.deepEqual(resolveNodeConfig('master', { config: join(CONF, 'etcd', 'master.ini') }).etcd?.endpoints, ['http://127.0.0.1:2379']);
    const gw = resolveGatewayConfig({ config: join(CONF, 'etcd', 'gateway.ini') });
    assert.deepEqual(gw.etcd?.endpoints, ['http://127.0.0.1:2379']);
    assert.equal(gw.master, undefined);
  });

  it('normalises endpoints and the prefix, and lets flags win over the file', (t) => {
    const ini = join(tempDir(t), 'node.ini');
    writeFileSync(ini, '[etcd]\nendpoints = 10.1.1.1:2379\nprefix = /from-file\nttl = 7\n');
    assert.deepEqual(resolveNodeConfig('master', { config: ini }).etcd, { endpoints: ['http://10.1.1.1:2379'], prefix: '/from-file/', ttlSec: 7 });
    const flagged = resolveNodeConfig('master', { config: ini, etcd: ' 127.0.0.1:1, http://localhost ,', etcdPrefix: 'x/', etcdTtl: '2' });
    assert.deepEqual(flagged.etcd, { endpoints: ['http://127.0.0.1:1', `http://localhost:${ETCD_DEFAULTS.port}`], prefix: 'x/', ttlSec: 2 });
    assert.equal(resolveNodeConfig('master', { config: ini, etcd: 'none' }).etcd, undefined);
    assert.deepEqual(resolveNodeConfig('slave', { etcd: '127.0.0.1:2379' }).etcd, { endpoints: ['http://127.0.0.1:2379'], prefix: '/kamaitachi/nodes/', ttlSec: 10 });
  });

  it('gives a static --nodes list precedence over etcd in the gateway', () => {
    const c = resolveGatewayConfig({ etcd: '127.0.0.1:2379', nodes: '127.0.0.1:8081' });
    assert.equal(c.master, undefined);
    assert.deepEqual(c.nodes, ['http://127.0.0.1:8081']);
  });

  const refusals: Array<[string[], string]> = [
    [['slave', '--etcd', 'not a url'], 'kamaitachi slave: --etcd: "not a url" is not an etcd URL (unparseable); use http://host:port, e.g. http://127.0.0.1:2379\n'],
    [['gateway', '--etcd', 'https://127.0.0.1:2379'], 'kamaitachi gateway: --etcd: "https://127.0.0.1:2379" is not an etcd URL (scheme https is not supported); use http://host:port, e.g. http://127.0.0.1:2379\n'],
    [['master', '--etcd', '127.0.0.1:2379/v3'], 'kamaitachi master: --etcd: "127.0.0.1:2379/v3" is not an etcd URL (no path, query or credentials allowed); use http://host:port, e.g. http://127.0.0.1:2379\n'],
    [['slave', '--etcd', '127.0.0.1:2379', '--etcd-ttl', '1'], 'kamaitachi slave: --etcd-ttl must be an integer between 2 and 3600, got "1"\n'],
    [['slave', '--etcd', '127.0.0.1:2379', '--name', 'master'], 'kamaitachi slave: a slave cannot be named "master" with etcd: <prefix>master is the master\'s key; choose another --name\n'],
    [['cluster', 'up', '--etcd', 'ftp://h:1'], 'kamaitachi cluster: --etcd: "ftp://h:1" is not an etcd URL (scheme ftp is not supported); use http://host:port, e.g. http://127.0.0.1:2379\n'],
  ];
  for (const [args, message] of refusals) {
    it(`refuses \`${args.join(' ')}\` with one line and exit code 2`, async () => {
      const { code, stderr } = await runBundle(args);
      assert.equal(stderr, message);
      assert.equal(code, 2);
    });
  }

  it('refuses an [etcd] ttl under 2 s in an INI file, naming the file', async (t) => {
    const ini = join(tempDir(t), 'gw.ini');
    writeFileSync(ini, '[etcd]\nendpoints = 127.0.0.1:2379\nttl = 1\n');
    const { code, stderr } = await runBundle(['gateway', '--config', ini]);
    assert.equal(stderr, `kamaitachi gateway: [etcd] ttl in ${ini} must be an integer between 2 and 3600, got "1"\n`);
    assert.equal(code, 2);
  });
});
