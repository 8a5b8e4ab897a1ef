/**
 * The two-sample Kolmogorov–Smirnov test as scipy's `ks_2samp(x, y)` (two-sided,
 * method 'auto') computes it, which Evidently's `ks` stattest calls. No maintained JS
 * package has the two-sample test; the exact p-value is a lattice-path count (Hodges'
 * treatment, Viehmann's stable recursion for unequal sizes), not a special function.
 * Beyond 10,000 values a side scipy uses the one-sample distribution `kstwo` (see kstwo.ts).
 */
import { kstwoSf } from './kstwo.ts';

/** scipy's MAX_AUTO_N: up to this size on both sides, the exact distribution. */
const MAX_EXACT_N = 10000;

export interface KsResult {
  statistic: number;
  pValue: number;
}

/** Count of sorted values <= x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Pr(D_{n,n} >= h/n): Horner-like form of the alternating binomial sum. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/** The share of lattice paths from (0,0) to (m,n) leaving |x/m - y/n| < h/lcm: 1 - p computed directly. */
function probOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 < n0 ? [n0, m0] : [m0, n0];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const a = new Float64Array(Math.min(2 * maxj + 2, n + 1)).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return a[maxj - minj - 1]!;
}

/** Python's round(): half to even, as numpy's np.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Both samples sorted ascending, without NaN. */
export function ks2samp(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('ks: a sample is empty');
  let d = 0;
  let minS = 0;
  for (const sample of [a, b]) {
    for (const x of sample) {
      const diff = upperBound(a, x) / n1 - upperBound(b, x) / n2;
      if (diff > d) d = diff;
      if (-diff > minS) minS = -diff;
    }
  }
  d = Math.max(d, Math.min(minS, 1));
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const exactD = h / lcm;
    if (h === 0) return { statistic: exactD, pValue: 1 };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h);
    if (Number.isFinite(p) && p >= 0 && p <= 1) return { statistic: exactD, pValue: p };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = roundHalfEven((m * n) / (m + n));
  return { statistic: d, pValue: kstwoSf(en, d) };
}
