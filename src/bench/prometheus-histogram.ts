/**
 * Reading latency histograms out of a Prometheus text exposition (`GET /metrics`), for servers whose
 * route does not stream: the difference of two scrapes is the histogram of what happened between them, and
 * its quantiles are estimated the way PromQL's histogram_quantile does.
 */
import type { LatencySummary } from './percentiles.js';

/** One histogram family with all its series summed (labels other than `le` are dropped). */
export interface Histogram {
  name: string;
  /** Cumulative counts by upper bound, ascending; the last bound is +Infinity. */
  buckets: { le: number; count: number }[];
  /** Sum of the observations (the `_sum` sample); their count is the +Inf bucket. */
  sum: number;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LE_LABEL = /(?:^|,)\s*le="([^"]*)"/;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Every histogram in the exposition, by family name. */
export function parseHistograms(exposition: string): Map<string, Histogram> {
  const buckets = new Map<string, Map<number, number>>();
  const totals = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, value: number) =>
    map.set(key, (map.get(key) ?? 0) + value);
  for (const line of exposition.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labels = '', valueText] = m;
    const value = parseValue(valueText!);
    if (!name!.endsWith('_bucket')) {
      // `_sum` samples (and anything else); they count only for names that turn out to have buckets.
      add(totals, name!, value);
      continue;
    }
    const le = LE_LABEL.exec(labels);
    if (!le) continue;
    const base = name!.slice(0, -'_bucket'.length);
    let series = buckets.get(base);
    if (!series) {
      series = new Map();
      buckets.set(base, series);
    }
    const bound = parseValue(le[1]!);
    series.set(bound, (series.get(bound) ?? 0) + value);
  }
  const histograms = new Map<string, Histogram>();
  for (const [name, series] of buckets) {
    histograms.set(name, {
      name,
      buckets: [...series].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
      sum: totals.get(`${name}_sum`) ?? 0,
    });
  }
  return histograms;
}

/** What was observed between two scrapes (`before` may lack the family when nothing had been observed yet). */
export function subtractHistogram(after: Histogram, before: Histogram | undefined): Histogram {
  if (!before) return after;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    name: after.name,
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
    sum: after.sum - before.sum,
  };
}

/** Two periods' observations of the same family (same bucket bounds: one server's scrapes) as one. */
export function addHistogram(a: Histogram, b: Histogram): Histogram {
  const other = new Map(b.buckets.map((bucket) => [bucket.le, bucket.count]));
  return {
    name: a.name,
    buckets: a.buckets.map((bucket) => ({
      le: bucket.le,
      count: bucket.count + (other.get(bucket.le) ?? 0),
    })),
    sum: a.sum + b.sum,
  };
}

/**
 * The q-quantile (0..1), interpolated linearly inside the bucket it falls in; in the +Inf bucket the answer
 * is the highest finite bound, as PromQL answers. undefined when the histogram is empty.
 */
export function histogramQuantile(histogram: Histogram, q: number): number | undefined {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of histogram.buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket === 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** The first family whose name matches, e.g. /time_to_first_token/. */
export function findHistogram(histograms: Map<string, Histogram>, pattern: RegExp): Histogram | undefined {
  for (const [name, histogram] of histograms) if (pattern.test(name)) return histogram;
  return undefined;
}

/**
 * The histogram's mean and quantiles times `scale`; by default as milliseconds, Prometheus histograms being in
 * seconds unless their name says `_ms`.
 */
export function histogramSummary(
  histogram: Histogram,
  scale = /_(ms|milliseconds)$/.test(histogram.name) ? 1 : 1000,
): LatencySummary | undefined {
  const total = histogram.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const quantile = (q: number) => histogramQuantile(histogram, q)! * scale;
  return {
    count: total,
    mean: (histogram.sum / total) * scale,
    p50: quantile(0.5),
    p90: quantile(0.9),
    p99: quantile(0.99),
  };
}
