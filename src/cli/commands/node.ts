// `kamaitachi master` and `kamaitachi slave`: flags -> NodeConfig -> the data-node role.
import { Command } from 'commander';
import type { NodeRole } from '../../config/node';

export function nodeCommands(): Command[] {
  return (['master', 'slave'] as NodeRole[]).map((role) => new Command(role).description(`(${role} not built yet)`));
}
