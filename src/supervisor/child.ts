// One role of a local cluster run as a child process of the same bundle: spawned with its flags,
// its output kept in a log file and a short in-memory tail, ready when it logs its
// `"event":"listening"` line, stopped with SIGTERM and, past a grace period, SIGKILL; it stops by
// itself when the supervisor dies (an IPC channel it watches).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  /** "master", "slave1", "gateway": for messages. */
  readonly name: string;
  /** Arguments after the script, starting with the role: ["slave", "--port", "8081", ...]. */
  readonly args: readonly string[];
  /** Where stdout and stderr are appended. */
  readonly logFile: string;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const TAIL_LINES = 12;

export class ChildRole {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<ChildExit>;
  /** The `url` of its listening line, once logged. */
  url: string | undefined;
  #exit: ChildExit | undefined;
  readonly #stdoutTail: string[] = [];
  readonly #stderrTail: string[] = [];
  readonly #log: WriteStream;
  #onListening: ((url: string) => void) | undefined;

  constructor(spec: ChildSpec) {
    this.name = spec.name;
    this.#log = createWriteStream(spec.logFile, { flags: 'a' });
    // The same runtime and bundle as this process; inspector flags would clash on their port.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
    // Its own process group: a terminal Ctrl-C reaches only the supervisor, which then stops the
    // roles in order (gateway, slaves, master) instead of every process racing to exit at once.
    // The IPC channel carries no messages: a child sees it close when this process dies, even
    // of SIGKILL, and stops itself (roles/lifecycle.ts) instead of living on as an orphan.
    this.proc = spawn(process.execPath, [...execArgv, process.argv[1], ...spec.args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      this.proc.once('error', (err) => {
        this.#stderrTail.push(`cannot start: ${err.message}`);
        this.#exit = { code: -1, signal: null };
        resolve(this.#exit);
      });
    });
    this.exited.then(() => this.#log.end());
    createInterface({ input: this.proc.stdout! }).on('line', (line) => this.#line(line, this.#stdoutTail));
    createInterface({ input: this.proc.stderr! }).on('line', (line) => this.#line(line, this.#stderrTail));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Resolves with its URL once it logs `"event":"listening"`; rejects if it exits or `timeoutMs` passes first. */
  listening(timeoutMs: number): Promise<string> {
    if (this.url) return Promise.resolve(this.url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start listening within ${timeoutMs / 1000} s`)), timeoutMs);
      this.#onListening = (url) => {
        clearTimeout(timer);
        resolve(url);
      };
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited during startup (${describeExit(exit)})`));
      });
    });
  }

  /** The last lines it wrote to stderr, or to stdout when stderr is empty: why it failed. */
  lastLines(): string[] {
    return this.#stderrTail.length > 0 ? [...this.#stderrTail] : [...this.#stdoutTail];
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<ChildExit> {
    if (this.#exit) return this.#exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }

  #line(line: string, tail: string[]): void {
    this.#log.write(line + '\n');
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    if (this.url === undefined && line.includes('"event":"listening"')) {
      try {
        const url = (JSON.parse(line) as { url?: unknown }).url;
        if (typeof url === 'string') {
          this.url = url;
          this.#onListening?.(url);
        }
      } catch {
        // Not a JSON log line after all; keep waiting.
      }
    }
  }
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
