// Process-level behaviour shared by every long-running role: a failed start is one line on
// stderr and exit code 2; SIGINT/SIGTERM close the role and exit 0, or 1 if closing overruns.
import { exitCodeOf, isKmtError } from '../shared/errors';
import { muteLogger, type Logger } from '../shared/logger';

/** Prints `kamaitachi <role>: <message>` and exits with exitCodeOf(err): 2 for config/data errors, 1 otherwise. */
export function failStart(role: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`kamaitachi ${role}: ${message}\n`);
  if (!isKmtError(err) && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(exitCodeOf(err));
}

/** Time a supervised role has to close once its supervisor is gone, so it is gone within 2 s. */
const ORPHAN_GRACE_MS = 1500;

/**
 * Closes `close` on the first SIGINT/SIGTERM; a second signal or `graceMs` forces exit. A role
 * started by `cluster up` has an IPC channel to its supervisor: when the channel closes (the
 * supervisor died, even of SIGKILL, which it cannot act on) the role closes too, within
 * ORPHAN_GRACE_MS, instead of running on as an orphan that holds its port.
 */
export function exitOnSignal(logger: Logger, close: () => Promise<void>, graceMs = 5000): void {
  let stopping = false;
  const stop = (why: Record<string, unknown>, grace: number): void => {
    if (stopping) {
      logger.warn(why, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ event: 'stopping', ...why }, 'finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, grace).unref();
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
  process.on('SIGINT', (signal) => stop({ signal }, graceMs));
  process.on('SIGTERM', (signal) => stop({ signal }, graceMs));
  if (process.channel) {
    // The channel carries nothing and must not keep the process alive; only its closing matters.
    process.channel.unref();
    process.once('disconnect', () => {
      // The supervisor read our stdout; nobody does now, and writing to it could block the exit.
      muteLogger(logger);
      if (!stopping) stop({ reason: 'supervisor_gone' }, ORPHAN_GRACE_MS);
    });
  }
}
