// Outlier ejection in the manner of Envoy (docs/design.md#faults): how long a node stays out of
// the ring, and whether one more may go. Nodes applies it; these are the rules alone.
import type { EjectionConfig } from '../config/gateway';

/**
 * The time out for an ejection, given how many came just before it: base, 2 x base, 4 x base, ...
 * up to maxMs. An ejection counts as a repeat while the previous one ended less than maxMs ago;
 * a node that stayed in for longer starts again at base.
 */
export function ejectionMs(cfg: EjectionConfig, repeats: number): number {
  return Math.min(cfg.maxMs, cfg.baseMs * 2 ** Math.min(repeats, 30));
}

/** Whether one more of `members` may be ejected while `ejected` already are: never beyond maxPercent, rounded down. */
export function mayEject(cfg: EjectionConfig, ejected: number, members: number): boolean {
  return ejected + 1 <= Math.floor((members * cfg.maxPercent) / 100);
}
