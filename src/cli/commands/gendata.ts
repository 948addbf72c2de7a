// Placeholder: the gen-data helper replaces this file.
import { Command } from 'commander';

export function genDataCommand(): Command {
  return new Command('gen-data').description('Write a sample SQLite database in the kamaitachi schema');
}
