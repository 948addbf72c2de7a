// pino JSON logs to stdout. One logger per process, with the role bound into every line.
import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** For tests and library use: a logger that writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Stops `logger` (and its children, which share its stream) from writing anything more. For a
 * role whose only log reader, the `cluster up` supervisor, is gone: its stdout is a broken pipe,
 * and pino's exit-time flush of a broken pipe can retry forever (sonic-boom's flushSync loops on
 * EPIPE), which would keep the process from ever exiting.
 */
export function muteLogger(logger: Logger): void {
  const noop = (): void => {};
  // pino keeps its destination under a symbol; the fields replaced are the ones pino itself
  // replaces when it meets EPIPE (lib/tools.js, filterBrokenPipe).
  const stream = (logger as unknown as Record<symbol, Record<string, unknown>>)[pino.symbols.streamSym];
  if (!stream) return;
  for (const name of ['write', 'end', 'flush', 'flushSync', 'destroy']) if (typeof stream[name] === 'function') stream[name] = noop;
}
