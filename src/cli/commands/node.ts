// `kamaitachi master` and `kamaitachi slave`: declares the flags and hands them to the node role.
import { Command } from 'commander';
import { ETCD_DEFAULTS } from '../../config/etcd';
import { NODE_DEFAULTS, resolveNodeConfig, type NodeFlags, type NodeRole } from '../../config/node';
import { runNode } from '../../roles/node';
import { DATA_ROUTES } from '../../shared/routes';

export function nodeCommands(): Command[] {
  return [nodeCommand('master'), nodeCommand('slave')];
}

function nodeCommand(role: NodeRole): Command {
  const port = role === 'master' ? NODE_DEFAULTS.masterPort : NODE_DEFAULTS.slavePort;
  const cmd = new Command(role)
    .description(
      role === 'master'
        ? 'Run a data node that also keeps the cluster membership registry'
        : 'Run a data node that registers with the master (or runs standalone)',
    )
    .option('-c, --config <file>', `INI file ([server] [cache] [database] [cluster] [etcd] [replication] [security]); flags win over it (e.g. conf/${role === 'master' ? 'master' : 'slave1'}.ini)`)
    .option('--db <file>', `SQLite file to serve (default: ${NODE_DEFAULTS.db})`)
    .option('--host <addr>', `address to listen on (default: ${NODE_DEFAULTS.host})`)
    .option('-p, --port <n>', `port to listen on; 0 picks a free one (default: ${port})`)
    .option('--cache-bytes <n>', `cache byte budget (default: ${NODE_DEFAULTS.cacheBytes} = 256 MiB)`)
    .option('--snapshot <file>', 'cache snapshot file, or "none" (default: ./data/<name>.snapshot)')
    .option('--snapshot-interval <min>', `minutes between cache snapshots, 0 = only at shutdown (default: ${NODE_DEFAULTS.snapshotIntervalMin})`)
    .option('--max-limit <n>', `largest "limit" a snapshot request may ask for (default: ${NODE_DEFAULTS.maxLimit})`)
    .option('--unknown-ids <mode>', `ids the file does not have: "reject" (400) or "null" (answered as null with a warning, as clients of the original expect) (default: ${NODE_DEFAULTS.unknownIds})`)
    .option('--name <id>', `node id in the registry and stats (default: kamaitachi-${role}-<port>)`)
    .option('--token <token>', 'bearer token for writes and cluster endpoints, as [security] token (default: none = loopback clients only)')
    .option('--log-level <level>', `fatal, error, warn, info, debug, trace or silent (default: ${NODE_DEFAULTS.logLevel})`);
  if (role === 'slave') cmd.option('--master <addr>', 'master to register with, host:port (default: none = standalone, or as published in etcd)');
  cmd
    .option('--etcd <urls>', 'register in etcd instead of with the master, e.g. http://127.0.0.1:2379 (comma-separated; "none" = off; default: none)')
    .option('--etcd-prefix <prefix>', `etcd key prefix; the node registers under <prefix><name> (default: ${ETCD_DEFAULTS.prefix})`)
    .option('--etcd-ttl <sec>', `etcd lease in seconds, at least ${ETCD_DEFAULTS.minTtlSec} (default: ${ETCD_DEFAULTS.ttlSec})`);
  cmd.addHelpText(
    'after',
    `\nExample:\n  kamaitachi ${role} --db ./data/finance.db --port ${port}\n  curl -s -XPOST http://127.0.0.1:${port}${DATA_ROUTES.snapshot} -d '{"ids":"operating_income","subjects":"33:000001"}'`,
  );
  return cmd.action((flags: NodeFlags) => runNode(role, () => resolveNodeConfig(role, flags)));
}
