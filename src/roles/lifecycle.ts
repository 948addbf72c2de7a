// Process-level behaviour shared by every long-running role: a failed start is one line on
// stderr and exit code 2; SIGINT/SIGTERM close the role and exit 0, or 1 if closing overruns.
import { exitCodeOf, isKmtError } from '../shared/errors';
import type { Logger } from '../shared/logger';

/** Prints `kamaitachi <role>: <message>` and exits with exitCodeOf(err): 2 for config/data errors, 1 otherwise. */
export function failStart(role: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kamaitachi ${role}: ${message}\n`);
  if (!isKmtError(err) && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(exitCodeOf(err));
}

/** Closes `close` on the first SIGINT/SIGTERM; a second signal or `graceMs` forces exit. */
export function exitOnSignal(logger: Logger, close: () => Promise<void>, graceMs = 5000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'stopping', signal }, 'finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    close().then(
      () => {
        logger.info({ event: 'stopped' }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
