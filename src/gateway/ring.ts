// Stage 2: the consistent-hash ring. Each slave gets `virtualNodes` points on a 32-bit circle at
// hash("<id>#<i>"); a key belongs to the first point clockwise from hash(key). Removing one of N
// slaves moves only the keys it owned (about 1/N). The hash is injected so tests can place points
// by hand.

import { fmix32 } from '../shared/fmix32';

export type HashFn = (key: string) => number;

/**
 * The default hash: 32-bit FNV-1a over the UTF-16 code units, then the murmur3 finalizer (fmix32)
 * so that keys differing only in their last characters ("33:000001", "33:000002") land far apart.
 */
export function fnv1aMix(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export interface RingOptions {
  /** Points per node. Default 150, as the original. */
  readonly virtualNodes?: number;
  /** Default fnv1aMix. */
  readonly hash?: HashFn;
}

export class HashRing {
  readonly #vnodes: number;
  readonly #hash: HashFn;
  #points = new Uint32Array(0);
  /** For each point, the distinct nodes met walking clockwise from it: owner first, then failover order. */
  #walks: ReadonlyArray<readonly string[]> = [];
  #nodes: readonly string[] = [];

  constructor(opts: RingOptions = {}) {
    this.#vnodes = opts.virtualNodes ?? 150;
    this.#hash = opts.hash ?? fnv1aMix;
  }

  get nodes(): readonly string[] {
    return this.#nodes;
  }

  /** Rebuilds the ring for this node set (cheap: done on membership changes only). */
  set(nodes: readonly string[]): void {
    const unique = [...new Set(nodes)].sort();
    const pts: Array<{ h: number; node: string }> = [];
    for (const node of unique) {
      for (let i = 0; i < this.#vnodes; i++) pts.push({ h: this.#hash(`${node}#${i}`), node });
    }
    // Ties (equal hashes) are broken by node name so every gateway builds the same ring.
    pts.sort((a, b) => a.h - b.h || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    this.#points = Uint32Array.from(pts, (p) => p.h);
    this.#nodes = Object.freeze(unique);
    this.#walks = this.#buildWalks(pts.map((p) => p.node), unique.length);
  }

  /** Fraction of the hash circle each node owns, i.e. its expected share of the keys (status page). */
  shares(): Map<string, number> {
    const out = new Map<string, number>(this.#nodes.map((n) => [n, 0]));
    const pts = this.#points;
    for (let i = 0; i < pts.length; i++) {
      // Point i owns the keys after the previous point up to itself; point 0 also owns the wrap-around.
      const arc = i === 0 ? pts[0] + 2 ** 32 - pts[pts.length - 1] : pts[i] - pts[i - 1];
      const owner = this.#walks[i][0];
      out.set(owner, (out.get(owner) as number) + arc / 2 ** 32);
    }
    return out;
  }

  /** The node that owns `key`, or undefined on an empty ring. */
  owner(key: string): string | undefined {
    return this.candidates(key)[0];
  }

  /** Every node in the order to try for `key`: the owner, then the next distinct nodes clockwise. */
  candidates(key: string): readonly string[] {
    const n = this.#points.length;
    if (n === 0) return [];
    const h = this.#hash(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.#walks[lo === n ? 0 : lo];
  }

  #buildWalks(owners: string[], distinct: number): ReadonlyArray<readonly string[]> {
    const n = owners.length;
    const walks: Array<readonly string[]> = new Array(n);
    // Walks of consecutive points with the same owner are equal; share them to keep memory at O(points).
    for (let i = n - 1; i >= 0; i--) {
      if (i + 1 < n && owners[i + 1] === owners[i] && walks[i + 1]) {
        walks[i] = walks[i + 1];
        continue;
      }
      const seen: string[] = [];
      for (let j = 0; j < n && seen.length < distinct; j++) {
        const node = owners[(i + j) % n];
        if (!seen.includes(node)) seen.push(node);
      }
      walks[i] = Object.freeze(seen);
    }
    return walks;
  }
}
