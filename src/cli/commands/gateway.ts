// `kamaitachi gateway`: flags -> GatewayConfig -> the gateway role.
import { Command, Option } from 'commander';
import { ETCD_DEFAULTS } from '../../config/etcd';
import { GATEWAY_DEFAULTS, resolveGatewayConfig, type GatewayFlags } from '../../config/gateway';
import { runGateway } from '../../roles/gateway';

export function gatewayCommand(): Command {
  return new Command('gateway')
    .description('Route /data/* to slaves by consistent hashing, with failover, rate limits and circuit breakers')
    .option('--config <file>', 'INI file with [server] [cluster] [etcd] [gateway] [ratelimit] [breaker] [security] (e.g. conf/gateway.ini); default none')
    .option('--host <host>', `address to listen on (default ${GATEWAY_DEFAULTS.host})`)
    .option('--port <port>', `port to listen on, 0 = any free port (default ${GATEWAY_DEFAULTS.port})`)
    .option('--master <url>', `master whose registry lists the slaves (default ${GATEWAY_DEFAULTS.master} unless --nodes is given)`)
    .option('--nodes <list>', 'static slave list instead of the registry, e.g. 127.0.0.1:8081,127.0.0.1:8082 (default none)')
    .option('--etcd <urls>', 'follow the slaves registered in etcd instead of the master, e.g. http://127.0.0.1:2379 (comma-separated; "none" = off; default none)')
    .option('--etcd-prefix <prefix>', `etcd key prefix to watch (default ${ETCD_DEFAULTS.prefix})`)
    .addOption(new Option('--routing <mode>', `owner: whole request to the first subject's owner; scatter: split multi-subject requests by owner (default ${GATEWAY_DEFAULTS.routing})`).choices(['owner', 'scatter']))
    .option('--hot-cache-bytes <n>', `byte budget of the hot cache of finished answers, kept fresh from the master's change feed; 0 = off (default ${GATEWAY_DEFAULTS.hotCacheBytes})`)
    .option('--token <token>', 'bearer token of the cluster, as [security] token: forwarded writes and cluster calls must carry it (default none = loopback clients only)')
    .addOption(new Option('--log-level <level>', `log level (default ${GATEWAY_DEFAULTS.logLevel})`).choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action((flags: GatewayFlags) => runGateway(() => resolveGatewayConfig(flags)));
}
