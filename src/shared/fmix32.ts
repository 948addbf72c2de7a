// murmur3's 32-bit finaliser: spreads nearby inputs (seeds 1, 2, 3...; keys that differ only in
// their last character) over the whole 32-bit range. Shared by the hash ring and the generator.

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
