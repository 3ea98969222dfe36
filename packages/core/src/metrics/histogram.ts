/**
 * Fixed log-scale latency buckets. Every plugin's histogram has the same
 * buckets, so recording is an index computation and one increment (no
 * allocation), memory is constant per plugin, and histograms add up.
 */

const MIN_EXP = -6;
const MAX_EXP = 32;

/**
 * Upper bounds (inclusive) of the latency buckets, in milliseconds: 2^(k/2) for
 * k = -6…32, i.e. 0.125 ms to 65.5 s, each √2 times the previous. One more
 * bucket after the last bound holds everything slower.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(
  Array.from({ length: MAX_EXP - MIN_EXP + 1 }, (_, i) => 2 ** ((i + MIN_EXP) / 2)),
);

/** Number of buckets: one per bound plus the overflow bucket. */
export const BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

const BOUNDS = Float64Array.from(LATENCY_BOUNDS_MS);
const OVERFLOW = BOUNDS.length;
/** 1 / the first bound: a power of two (MIN_EXP is even), so scaling by it is exact. */
const SCALE = 2 ** (-MIN_EXP / 2);

/**
 * The bucket of a duration in ms: the first whose bound is ≥ it. Negative and
 * NaN durations land in the first bucket. O(1) without a logarithm: the
 * duration in units of the first bound gives its power of two by `Math.clz32`,
 * and one or two comparisons place it between that octave's bounds.
 *
 * @example
 * bucketIndex(1); // the bucket whose bound is 1 ms
 */
export function bucketIndex(ms: number): number {
  const scaled = ms * SCALE; // the first bound becomes 1
  if (!(scaled > 1)) return 0;
  if (ms > BOUNDS[OVERFLOW - 1]!) return OVERFLOW;
  // BOUNDS[2e] = 2^e / SCALE for e = floor(log2(scaled)); clz32 truncates to an integer, which keeps e.
  const k = 2 * (31 - Math.clz32(scaled));
  if (ms === BOUNDS[k]) return k;
  return ms <= BOUNDS[k + 1]! ? k + 1 : k + 2;
}

/**
 * Estimate the `q` quantile (0 < q ≤ 1) from bucket counts: find the bucket
 * holding that rank and interpolate inside it, geometrically (the buckets are
 * log-spaced; the first one linearly from 0). The error is at most the bucket's
 * width (a factor √2). `maxMs`, when known, caps the estimate, and answers for
 * the overflow bucket. `null` when there are no samples.
 *
 * @example
 * const counts = new Float64Array(BUCKET_COUNT);
 * counts[bucketIndex(12)]! += 1;
 * estimateQuantile(counts, 0.5, 12); // 12
 */
export function estimateQuantile(counts: ArrayLike<number>, q: number, maxMs?: number): number | null {
  let total = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) total += counts[i] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    const n = counts[i] ?? 0;
    if (n === 0 || below + n < rank) {
      below += n;
      continue;
    }
    if (i === OVERFLOW) return maxMs ?? BOUNDS[OVERFLOW - 1]!;
    const hi = BOUNDS[i]!;
    const fraction = Math.min(1, Math.max(0, (rank - below) / n));
    const value = i === 0 ? hi * fraction : BOUNDS[i - 1]! * (hi / BOUNDS[i - 1]!) ** fraction;
    return maxMs !== undefined && value > maxMs ? maxMs : value;
  }
  // Only reached through floating-point error on the last rank.
  return maxMs ?? BOUNDS[OVERFLOW - 1]!;
}
