// Placeholder: replaced by the cluster implementation.
import { Command } from 'commander';

export function clusterCommand(): Command {
  return new Command('cluster').description('(not built yet)');
}
