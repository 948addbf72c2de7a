// `kamaitachi cluster up`: flags -> ClusterUpOptions -> the cluster role.
import { Command, Option } from 'commander';
import { CLUSTER_DEFAULTS, resolveClusterUpOptions, type ClusterUpFlags } from '../../config/clusterUp';
import { runClusterUp } from '../../roles/cluster';

export function clusterCommand(): Command {
  const d = CLUSTER_DEFAULTS;
  const up = new Command('up')
    .description('Start master, slaves and gateway as child processes on this machine; Ctrl-C stops them all')
    .option('--slaves <n>', `number of slaves (default ${d.slaves})`)
    .option('--db <file>', `source database, generated when missing; each node serves its own copy (default ${d.db})`)
    .option('--data-dir <dir>', `node copies, cache snapshots and logs (default ${d.dataDir})`)
    .option('--stocks <n>', `companies in a generated database (default ${d.stocks})`)
    .option('--host <addr>', `address every role listens on (default ${d.host})`)
    .option('--master-port <n>', `master port, 0 = any free port (default ${d.masterPort})`)
    .option('--slave-base-port <n>', `slave i listens on base+i-1, 0 = any free ports (default ${d.slaveBasePort})`)
    .option('--gateway-port <n>', `gateway port, 0 = any free port (default ${d.gatewayPort})`)
    .addOption(new Option('--routing <mode>', "gateway routing (default: the gateway's, see kamaitachi gateway --help)").choices(['owner', 'scatter']))
    .option('--etcd <urls>', 'membership through an etcd you started (e.g. http://127.0.0.1:2379) instead of the master (default none)')
    .option('--etcd-prefix <prefix>', "etcd key prefix of every role (default: the roles' own, /kamaitachi/nodes/)")
    .option('--gateway-config <file>', 'INI file for the gateway, e.g. conf/gateway.ini (default none)')
    // Never quieter than info: the supervisor learns each child's address from its "listening" line.
    .addOption(new Option('--log-level <level>', `log level of every role, written to <data-dir>/logs (default ${d.logLevel})`).choices(['info', 'debug', 'trace']))
    .option('--token <token>', 'bearer token for writes and cluster endpoints, given to every role (default none = loopback clients only)')
    .addOption(new Option('--unknown-ids <mode>', 'ids a node\'s file does not have: reject (400) or null (answered as null with a warning); passed to every node (default: the nodes\' own, reject)').choices(['reject', 'null']))
    .option('--startup-timeout <sec>', `give up when the cluster is not healthy after this long (default ${d.startupTimeoutSec})`)
    .addHelpText('after', '\nPrints the addresses, an example curl and bench command, then a line\n  READY {"gateway":"http://...","master":"http://...","slaves":["http://...",...]}')
    .action((flags: ClusterUpFlags) => runClusterUp(() => resolveClusterUpOptions(flags)));
  return new Command('cluster').description('Run a whole kamaitachi cluster locally').addCommand(up);
}
