// Seeded randomness for the generator: sfc32 streams derived from (seed, company, purpose), so
// a company's rows depend only on the seed and its index, never on how many others there are.

import { fmix32 } from '../shared/fmix32';

/** One 32-bit seed per (seed, index, stream) triple. */
export function deriveSeed(seed: number, index: number, stream: number): number {
  return fmix32(fmix32(fmix32(seed >>> 0) ^ (index >>> 0)) ^ Math.imul(stream + 1, 0x9e3779b9));
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // All four state words come from the seed (a Weyl sequence through fmix32, as splitmix
    // does): seeding only one word left neighbouring companies' first draws correlated.
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return fmix32(s);
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    // Discard the first outputs, as is usual for sfc32, so the state is fully mixed.
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  /** Standard normal by Box-Muller; one value per call keeps the draw count easy to follow. */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next(); // (0, 1], so log(u) is finite
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}
