/**
 * Evidently 0.7's drift stattests (evidently/legacy/calculations/stattests), one function
 * each, computing what its Python counterpart computes with scipy and numpy, in the same
 * order of operations where that decides the last bits (histogram edges, the z statistic).
 * Inputs are one column of each side with missing values already dropped.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { ks2samp } from './ks.ts';

export type ColumnKind = 'num' | 'cat';

/** A column's non-missing values: numbers (sorted ascending) or category keys. */
export type Sample = { kind: 'number'; values: Float64Array; integer: boolean } | { kind: 'string'; values: string[] };

export type Method = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl_div';

export interface StatTest {
  /** Evidently's display name, as its report shows it. */
  displayName: string;
  /** What the score is: a p-value (drift when small) or a distance (drift when large). */
  score: 'p_value' | 'distance';
  defaultThreshold: number;
  kinds: readonly ColumnKind[];
  run(reference: Sample, current: Sample, kind: ColumnKind, threshold: number): { score: number; drifted: boolean };
}

type Key = string | number;

function counts(sample: Sample): Map<Key, number> {
  const out = new Map<Key, number>();
  for (const v of sample.values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Evidently's get_unique_not_nan_values_list_from_series: the union of both sides' values. */
function keysOf(reference: Map<Key, number>, current: Map<Key, number>): Key[] {
  return [...new Set([...reference.keys(), ...current.keys()])];
}

/** Python's sort of one column's keys: numbers by value, strings by code point. */
function sortKeys(keys: Key[]): Key[] {
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/** scipy.special.rel_entr. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** numpy.histogram_bin_edges(combined, bins='sturges'). */
function sturgesEdges(combined: Float64Array, integer: boolean): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of combined) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let width = (max - min) / (Math.log2(combined.length) + 1);
  let bins = 1;
  if (width) {
    if (integer && width < 1) width = 1;
    bins = Math.ceil((last - first) / width);
  }
  // numpy.linspace: i * step + start, the last edge set to stop exactly.
  const step = (last - first) / bins;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** numpy.histogram(values, edges)[0] / len(values): bins closed on the left, the last also on the right. */
function histogramShares(values: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  for (const v of values) {
    if (v < edges[0]! || v > edges[bins]!) continue;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[Math.min(lo - 1, bins - 1)]! += 1;
  }
  for (let i = 0; i < bins; i++) out[i] = out[i]! / values.length;
  return out;
}

/** numpy.place(a, a == 0, ...) as Evidently fills empty bins so logarithms stay finite. */
function fillZeroes(shares: Float64Array): void {
  let minNonZero = Infinity;
  for (const v of shares) if (v !== 0 && v < minNonZero) minNonZero = v;
  const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
  for (let i = 0; i < shares.length; i++) if (shares[i] === 0) shares[i] = fill;
}

/**
 * Evidently's get_binned_data: Sturges histogram bins over both sides for a numerical
 * column whose reference has more than 20 distinct values, else one bin per value.
 */
function binnedShares(reference: Sample, current: Sample, kind: ColumnKind, fillEmpty: boolean): [Float64Array, Float64Array] {
  const refCounts = counts(reference);
  let ref: Float64Array;
  let cur: Float64Array;
  if (kind === 'num' && reference.kind === 'number' && current.kind === 'number' && refCounts.size > 20) {
    const combined = new Float64Array(reference.values.length + current.values.length);
    combined.set(reference.values);
    combined.set(current.values, reference.values.length);
    const edges = sturgesEdges(combined, reference.integer && current.integer);
    ref = histogramShares(reference.values, edges);
    cur = histogramShares(current.values, edges);
  } else {
    const curCounts = counts(current);
    const keys = keysOf(refCounts, curCounts);
    ref = Float64Array.from(keys, (k) => (refCounts.get(k) ?? 0) / reference.values.length);
    cur = Float64Array.from(keys, (k) => (curCounts.get(k) ?? 0) / current.values.length);
  }
  if (fillEmpty) {
    fillZeroes(ref);
    fillZeroes(cur);
  }
  return [ref, cur];
}

/** scipy.stats.chisquare(f_obs, f_exp)[1]: the upper tail of chi-square with k - 1 degrees of freedom. */
function chisquarePValue(observed: Float64Array, expected: Float64Array): number {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) stat += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  const df = observed.length - 1;
  if (Number.isNaN(stat) || df <= 0) return NaN;
  if (stat === Infinity) return 0;
  return gammainc(stat / 2, df / 2, true, true);
}

function chisquare(reference: Sample, current: Sample): number {
  const refCounts = counts(reference);
  const curCounts = counts(current);
  const keys = keysOf(refCounts, curCounts);
  const kNorm = current.values.length / reference.values.length;
  const expected = Float64Array.from(keys, (k) => (refCounts.get(k) ?? 0) * kNorm);
  const observed = Float64Array.from(keys, (k) => curCounts.get(k) ?? 0);
  return chisquarePValue(observed, expected);
}

/** Evidently's proportions z-test: the share of the smallest value on each side. */
function zTest(reference: Sample, current: Sample): number {
  const refCounts = counts(reference);
  const curCounts = counts(current);
  if (refCounts.size === 1 && curCounts.size === 1 && [...refCounts.keys()][0] === [...curCounts.keys()][0]) return 1;
  const first = sortKeys(keysOf(refCounts, curCounts))[0]!;
  const n1 = reference.values.length;
  const n2 = current.values.length;
  const p1 = (n1 - (refCounts.get(first) ?? 0)) / n1;
  const p2 = (n2 - (curCounts.get(first) ?? 0)) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
  return 2 * (1 - normalCdf(Math.abs(z), 0, 1));
}

/** numpy.std (ddof 0). */
function std(values: Float64Array): number {
  const mean = sum(values) / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / values.length);
}

/** scipy.stats.wasserstein_distance of two sorted samples: the area between their empirical CDFs. */
function wasserstein(u: Float64Array, v: Float64Array): number {
  const all = new Float64Array(u.length + v.length);
  all.set(u);
  all.set(v, u.length);
  all.sort();
  let total = 0;
  let iu = 0;
  let iv = 0;
  for (let i = 0; i < all.length - 1; i++) {
    const x = all[i]!;
    while (iu < u.length && u[iu]! <= x) iu++;
    while (iv < v.length && v[iv]! <= x) iv++;
    total += Math.abs(iu / u.length - iv / v.length) * (all[i + 1]! - x);
  }
  return total;
}

function numbers(sample: Sample, method: string): Float64Array {
  if (sample.kind !== 'number') throw new Error(`${method} needs a numerical column`);
  return sample.values;
}

export const STATTESTS: Record<Method, StatTest> = {
  ks: {
    displayName: 'K-S p_value',
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['num'],
    run(reference, current, kind, threshold) {
      const p = ks2samp(numbers(reference, 'ks'), numbers(current, 'ks')).pValue;
      return { score: p, drifted: p <= threshold };
    },
  },
  chisquare: {
    displayName: 'chi-square p_value',
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['cat'],
    run(reference, current, kind, threshold) {
      const p = chisquare(reference, current);
      return { score: p, drifted: p < threshold };
    },
  },
  z: {
    displayName: 'Z-test p_value',
    score: 'p_value',
    defaultThreshold: 0.05,
    kinds: ['cat'],
    run(reference, current, kind, threshold) {
      const p = zTest(reference, current);
      return { score: p, drifted: p < threshold };
    },
  },
  wasserstein: {
    displayName: 'Wasserstein distance (normed)',
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['num'],
    run(reference, current, kind, threshold) {
      const ref = numbers(reference, 'wasserstein');
      const d = wasserstein(ref, numbers(current, 'wasserstein')) / Math.max(std(ref), 0.001);
      return { score: d, drifted: d >= threshold };
    },
  },
  jensenshannon: {
    displayName: 'Jensen-Shannon distance',
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['cat', 'num'],
    run(reference, current, kind, threshold) {
      // scipy.spatial.distance.jensenshannon with the natural logarithm.
      const [p0, q0] = binnedShares(reference, current, kind, false);
      return distanceResult(jensenShannon(p0, q0), threshold);
    },
  },
  psi: {
    displayName: 'PSI',
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['cat', 'num'],
    run(reference, current, kind, threshold) {
      const [r, c] = binnedShares(reference, current, kind, true);
      let psi = 0;
      for (let i = 0; i < r.length; i++) psi += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
      return distanceResult(psi, threshold);
    },
  },
  kl_div: {
    displayName: 'Kullback-Leibler divergence',
    score: 'distance',
    defaultThreshold: 0.1,
    kinds: ['cat', 'num'],
    run(reference, current, kind, threshold) {
      // scipy.stats.entropy(pk, qk): both normalised to sum 1 first.
      const [r, c] = binnedShares(reference, current, kind, true);
      const rs = sum(r);
      const cs = sum(c);
      let kl = 0;
      for (let i = 0; i < r.length; i++) kl += relEntr(r[i]! / rs, c[i]! / cs);
      return distanceResult(kl, threshold);
    },
  },
};

function distanceResult(score: number, threshold: number): { score: number; drifted: boolean } {
  return { score, drifted: score >= threshold };
}

function jensenShannon(p0: Float64Array, q0: Float64Array): number {
  const ps = sum(p0);
  const qs = sum(q0);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p0.length; i++) {
    const p = p0[i]! / ps;
    const q = q0[i]! / qs;
    const m = (p + q) / 2.0;
    left += relEntr(p, m);
    right += relEntr(q, m);
  }
  return Math.sqrt((left + right) / 2.0);
}
