// Placeholder: replaced by the bench implementation.
import { Command } from 'commander';

export function benchCommand(): Command {
  return new Command('bench').description('(not built yet)');
}
