// `kamaitachi gen-data` as a role: writes the sample database with a progress line on a TTY,
// then one summary line; a bad option or an unwritable file is one line and exitCodeOf(err).
import { generateDatabase, type GenOptions } from '../gendata/generate';
import { failStart } from './lifecycle';

export async function runGenData(resolve: () => GenOptions): Promise<void> {
  let opts: GenOptions;
  try {
    opts = resolve();
  } catch (err) {
    failStart('gen-data', err);
  }
  try {
    const result = await generateDatabase({ ...opts, onProgress: progressLine() });
    const mb = (result.bytes / 1_048_576).toFixed(1);
    const seconds = (result.ms / 1000).toFixed(1);
    process.stdout.write(`kamaitachi gen-data: wrote ${result.file}: ${result.rows} rows, ${result.subjects} subjects, ${mb} MB in ${seconds} s\n`);
  } catch (err) {
    failStart('gen-data', err);
  }
}

/** Rewrites one stderr line while rows go in; silent when stderr is a file or a pipe. */
function progressLine(): GenOptions['onProgress'] {
  const stderr = process.stderr;
  if (!stderr.isTTY) return undefined;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    stderr.write(done < total ? `\rgenerating: ${done}/${total} rows (${pct}%)\x1b[K` : '\r\x1b[K');
  };
}
