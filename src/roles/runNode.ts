// A data node as a process: config errors and unreadable databases are one line and exit 2;
// signals shut it down gracefully.
import type { NodeConfig, NodeRole } from '../config/node';
import { createLogger } from '../shared/logger';
import { exitOnSignal, failStart } from './lifecycle';
import { startDataNode } from './node';

export async function runNode(role: NodeRole, resolve: () => NodeConfig): Promise<void> {
  let config: NodeConfig;
  try {
    config = resolve();
  } catch (err) {
    failStart(role, err);
  }
  const logger = createLogger(config.logLevel, { role, node: config.serviceName });
  try {
    const node = await startDataNode(config, logger);
    exitOnSignal(logger, () => node.close());
  } catch (err) {
    failStart(role, err);
  }
}
