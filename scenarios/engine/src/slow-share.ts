/** Which clients are slow (bench run --slow-clients): shared by the engine and the runner. */

/** Slow consumers (bench run --slow-clients). */
export interface SlowClientsConfig {
  /** the share of main clients that are slow, 0 < share < 1; main client k is slow when isSlowClient(k, share) */
  share: number;
  /** what each slow client reads at most: bytes per second, server → client */
  bytesPerSecond: number;
}

/** A share as a whole number of parts per SHARE_SCALE, so that counting it is exact integer arithmetic. */
const SHARE_SCALE = 1e8;

/**
 * Whether main client `k` of the run (0-based, across generators) is slow: spread evenly over
 * the arrival order (client k is slow when ⌊(k+1)·share⌋ > ⌊k·share⌋), so the first n clients
 * hold exactly slowClientCount(n, share) slow ones, whatever n.
 */
export function isSlowClient(k: number, share: number): boolean {
  const s = Math.round(share * SHARE_SCALE);
  return Math.floor(((k + 1) * s) / SHARE_SCALE) > Math.floor((k * s) / SHARE_SCALE);
}

/** The slow clients among main clients 0 … n−1: ⌊n·share⌋. */
export function slowClientCount(n: number, share: number): number {
  return Math.floor((n * Math.round(share * SHARE_SCALE)) / SHARE_SCALE);
}
