// Which subjects a data node is asked for most, for its status page, at a cost the hot path does
// not notice: one random draw per request; one request in `sampleEvery` has the subjects of its
// body counted (a byte search, no JSON parse) in a bounded LRU of counters (quick-lru), so a
// stream of distinct subjects cannot grow it. Counts live in two one-minute generations, so the
// list shows what is hot now rather than since start.
import QuickLRU from 'quick-lru';

const KEY = Buffer.from('"subjects"');
const QUOTE = 0x22;
/** Subjects counted per sampled request at most (scenario 3 asks for 50). */
const MAX_PER_REQUEST = 64;

export interface SubjectTallyOptions {
  /** One request in this many is counted. Default 16. */
  readonly sampleEvery?: number;
  /** Distinct subjects tracked per generation (quick-lru keeps up to twice this). Default 500. */
  readonly maxSubjects?: number;
  /** Length of a generation. Default 60 s. */
  readonly generationMs?: number;
  /** Injected for tests. Default Math.random. */
  readonly random?: () => number;
  /** Injected for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface SubjectCount {
  readonly subject: string;
  /** Sampled requests naming it in the last one to two minutes. */
  readonly count: number;
}

export class SubjectTally {
  readonly sampleEvery: number;
  readonly #p: number;
  readonly #max: number;
  readonly #generationMs: number;
  readonly #random: () => number;
  readonly #now: () => number;
  #current: QuickLRU<string, number>;
  #previous: QuickLRU<string, number> | undefined;
  #generationStart: number;
  /** Sampled requests in the current and previous generation. */
  #sampled = 0;
  #sampledBefore = 0;

  constructor(opts: SubjectTallyOptions = {}) {
    this.sampleEvery = opts.sampleEvery ?? 16;
    this.#p = 1 / this.sampleEvery;
    this.#max = opts.maxSubjects ?? 500;
    this.#generationMs = opts.generationMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    this.#current = new QuickLRU({ maxSize: this.#max });
    this.#generationStart = this.#now();
  }

  /** Called with every answered snapshot/period request body. Random, not every Nth: a bench cycling K requests would alias with a fixed stride. */
  readonly observe = (raw: Buffer): void => {
    if (this.#random() >= this.#p) return;
    this.#count(raw);
  };

  /** Sampled requests behind top(). */
  get sampled(): number {
    this.#roll();
    return this.#sampled + this.#sampledBefore;
  }

  /** The `n` most requested subjects of the last one to two minutes, most first. */
  top(n: number): SubjectCount[] {
    this.#roll();
    const sum = new Map<string, number>();
    for (const gen of [this.#previous, this.#current]) {
      if (gen) for (const [k, v] of gen) sum.set(k, (sum.get(k) ?? 0) + v);
    }
    return [...sum]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([subject, count]) => ({ subject, count }));
  }

  #count(raw: Buffer): void {
    const subjects = subjectsOf(raw);
    if (subjects.length === 0) return;
    this.#roll();
    this.#sampled++;
    const gen = this.#current;
    for (let i = 0; i < subjects.length && i < MAX_PER_REQUEST; i++) {
      const s = subjects[i].trim();
      if (s) gen.set(s, (gen.get(s) ?? 0) + 1);
    }
  }

  #roll(): void {
    const now = this.#now();
    if (now - this.#generationStart < this.#generationMs) return;
    // After a quiet spell longer than a generation the old counts are stale too.
    this.#previous = now - this.#generationStart < 2 * this.#generationMs ? this.#current : undefined;
    this.#sampledBefore = this.#previous ? this.#sampled : 0;
    this.#current = new QuickLRU({ maxSize: this.#max });
    this.#sampled = 0;
    this.#generationStart = now;
  }
}

/** The subjects of a request body: `"subjects": "a,b"` read in place; the array form is parsed. */
export function subjectsOf(raw: Buffer): string[] {
  const at = raw.indexOf(KEY);
  if (at === -1) return [];
  let i = at + KEY.length;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x3a || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09)) i++;
  if (raw[i] === QUOTE) {
    const end = raw.indexOf(QUOTE, i + 1);
    if (end === -1) return [];
    const text = raw.toString('latin1', i + 1, end);
    return text.includes('\\') ? [] : text.split(',');
  }
  if (raw[i] !== 0x5b) return [];
  try {
    const list = (JSON.parse(raw.toString('utf8')) as { subjects?: unknown }).subjects;
    return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
