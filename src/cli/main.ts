// The `kamaitachi` command: declares subcommands and hands their parsed flags to a role.
import { Command } from 'commander';
import { nodeCommands } from './commands/node';
import { genDataCommand } from './commands/gendata';
import { gatewayCommand } from './commands/gateway';
import { clusterCommand } from './commands/cluster';
import { benchCommand } from './commands/bench';
import { importCommand } from './commands/import';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('kamaitachi')
    .description('Distributed read cache for financial time-series data')
    .version('0.1.0')
    .showHelpAfterError();
  for (const cmd of nodeCommands()) program.addCommand(cmd);
  program.addCommand(gatewayCommand());
  program.addCommand(clusterCommand());
  program.addCommand(benchCommand());
  program.addCommand(genDataCommand());
  program.addCommand(importCommand());
  await program.parseAsync(argv);
}
