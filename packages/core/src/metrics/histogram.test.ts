import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, bucketIndex, estimateQuantile, LATENCY_BOUNDS_MS } from './histogram.js';

const BOUNDS = LATENCY_BOUNDS_MS;
const LAST = BUCKET_COUNT - 1;

/** The bucket by definition: the first bound ≥ ms, or the overflow bucket. */
function slowIndex(ms: number): number {
  const i = BOUNDS.findIndex((b) => ms <= b);
  return i === -1 ? LAST : i;
}

function histogramOf(values: number[]): Float64Array {
  const counts = new Float64Array(BUCKET_COUNT);
  for (const v of values) counts[bucketIndex(v)]!++;
  return counts;
}

describe('latency buckets', () => {
  it('are log-spaced from 0.125 ms to 65.5 s, √2 apart', () => {
    expect(BOUNDS[0]).toBe(0.125);
    expect(BOUNDS.at(-1)).toBe(65536);
    expect(BUCKET_COUNT).toBe(BOUNDS.length + 1);
    for (let i = 1; i < BOUNDS.length; i++) expect(BOUNDS[i]! / BOUNDS[i - 1]!).toBeCloseTo(Math.SQRT2, 12);
  });

  it('put every bound in its own bucket, and a hair above it in the next', () => {
    for (let i = 0; i < BOUNDS.length; i++) {
      expect(bucketIndex(BOUNDS[i]!)).toBe(i);
      expect(bucketIndex(BOUNDS[i]! * (1 + 1e-12))).toBe(i + 1);
      expect(bucketIndex(BOUNDS[i]! * (1 - 1e-12))).toBe(i === 0 ? 0 : i);
    }
  });

  it('send zero, negative and NaN durations to the first bucket and huge ones to the overflow', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(-5)).toBe(0);
    expect(bucketIndex(Number.NaN)).toBe(0);
    expect(bucketIndex(1e9)).toBe(LAST);
    expect(bucketIndex(Number.POSITIVE_INFINITY)).toBe(LAST);
  });

  it('agree with the definition for any duration', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (ms) => {
        expect(bucketIndex(ms)).toBe(slowIndex(ms));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('estimateQuantile', () => {
  it('is null without samples', () => {
    expect(estimateQuantile(new Float64Array(BUCKET_COUNT), 0.5)).toBeNull();
  });

  it('finds p50, p90 and p99 of 1…100 ms in the buckets holding 50, 90 and 99 ms', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const counts = histogramOf(values);
    for (const [q, truth] of [
      [0.5, 50],
      [0.9, 90],
      [0.99, 99],
    ] as const) {
      const estimate = estimateQuantile(counts, q, 100)!;
      const bucket = bucketIndex(truth);
      expect(estimate).toBeGreaterThan(BOUNDS[bucket - 1]!);
      expect(estimate).toBeLessThanOrEqual(BOUNDS[bucket]!);
    }
    // 50 ms lies in (45.25, 64]; 99 ms in (90.5, 128], capped by the slowest (100 ms).
    expect(estimateQuantile(counts, 0.99, 100)).toBeLessThanOrEqual(100);
  });

  it('caps the estimate at the slowest request and answers it for the overflow bucket', () => {
    const counts = histogramOf([10, 10, 10]);
    expect(estimateQuantile(counts, 0.99, 10)).toBeLessThanOrEqual(10);
    const slow = histogramOf([100_000]);
    expect(estimateQuantile(slow, 0.5, 100_000)).toBe(100_000);
    expect(estimateQuantile(slow, 0.5)).toBe(65536);
  });

  it('is within one bucket (a factor √2) of the exact quantile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.2, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (values, q) => {
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const estimate = estimateQuantile(histogramOf(values), q, sorted.at(-1))!;
          expect(estimate).toBeGreaterThanOrEqual(exact / Math.SQRT2 - 1e-9);
          expect(estimate).toBeLessThanOrEqual(exact * Math.SQRT2 + 1e-9);
        },
      ),
      { numRuns: 500 },
    );
  });
});
