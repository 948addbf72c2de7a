// Placeholder: replaced by the gateway implementation.
import { Command } from 'commander';

export function gatewayCommand(): Command {
  return new Command('gateway').description('(not built yet)');
}
