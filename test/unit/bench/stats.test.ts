import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketDelta, histogramQuantile, quantile, summarize } from '../../../bench/lib/stats.ts';

describe('quantile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  for (const [q, want] of [[0, 1], [0.01, 1], [0.5, 50], [0.9, 90], [0.99, 99], [1, 100]] as const) {
    it(`gives ${want} as the ${q} quantile of 1..100`, () => assert.equal(quantile(hundred, q), want));
  }

  it('always answers with a measured value, never an interpolated one', () => {
    assert.equal(quantile([10, 20], 0.5), 10);
    assert.equal(quantile([10, 20], 0.51), 20);
  });

  it('does not depend on the order of the values', () => {
    assert.equal(quantile([5, 1, 4, 2, 3], 0.5), 3);
  });

  it('gives the maximum as p99 when there are fewer than 100 values', () => {
    assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 0.99), 1000);
  });

  it('is NaN for no values and refuses a quantile outside 0..1', () => {
    assert.ok(Number.isNaN(quantile([], 0.5)));
    assert.throws(() => quantile([1], 1.5), RangeError);
  });
});

describe('summarize', () => {
  it('reports count, min, p50, p90, p99, max and mean', () => {
    assert.deepEqual(summarize([4, 1, 3, 2]), { count: 4, min: 1, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
  });

  it('leaves out values that are not finite (a sample that was never seen)', () => {
    assert.equal(summarize([1, Number.NaN, 3, Number.POSITIVE_INFINITY]).count, 2);
  });

  it('gives NaN figures and count 0 for no values', () => {
    const s = summarize([]);
    assert.equal(s.count, 0);
    assert.ok(Number.isNaN(s.p50) && Number.isNaN(s.max) && Number.isNaN(s.mean));
  });
});

describe('histogramQuantile (as Prometheus computes it)', () => {
  const buckets = [{ le: 0.1, count: 50 }, { le: 0.5, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];

  it('interpolates linearly within the bucket that holds the rank', () => {
    assert.equal(histogramQuantile(0.5, buckets), 0.1);
    assert.ok(Math.abs(histogramQuantile(0.7, buckets) - 0.3) < 1e-9);
    assert.ok(Math.abs(histogramQuantile(0.25, buckets) - 0.05) < 1e-9);
  });

  it('gives the highest finite bound when the rank falls in +Inf', () => {
    assert.equal(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }]), 1);
  });

  it('is NaN for an empty histogram', () => {
    assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])));
  });

  it('subtracts an earlier scrape bucket by bucket to give the histogram of an interval', () => {
    assert.deepEqual(
      bucketDelta([{ le: 1, count: 7 }, { le: Infinity, count: 9 }], [{ le: 1, count: 2 }, { le: Infinity, count: 3 }]),
      [{ le: 1, count: 5 }, { le: Infinity, count: 6 }],
    );
  });
});
