/**
 * The survival function of the two-sided one-sample Kolmogorov–Smirnov statistic D_n,
 * choosing among exact and approximate methods as scipy's `kstwo.sf` does (Simard and
 * L'Ecuyer 2011, scipy/stats/_ksstats.py): ks_2samp's p-value beyond 10,000 values a side
 * is `kstwo.sf(d, round(m n / (m + n)))`, and matching it to 1e-9 means matching where
 * scipy approximates too (Pelz–Good, Miller's 2 × one-sided tail).
 */
import binomcoefln from '@stdlib/math-base-special-binomcoefln';
import factorialln from '@stdlib/math-base-special-factorialln';
// @ts-expect-error stdlib ships no types for this file: pKolmogorov(d, n) = P(D_n < d) by Marsaglia–Tsang–Wang (Durbin's matrix).
import pKolmogorov from '@stdlib/stats-kstest/lib/marsaglia.js';

const durbinMatrixCdf = pKolmogorov as (d: number, n: number) => number;

const clip = (p: number): number => Math.min(1, Math.max(0, p));

/** The one-sided Smirnov tail P(D_n^+ >= x) by the Birnbaum–Tingey sum, each term in logarithms. */
function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  let total = 0;
  const last = Math.floor(n * (1 - x));
  for (let j = 0; j <= last; j++) {
    const rest = 1 - x - j / n;
    if (rest <= 0 && n - j > 0) continue;
    total += Math.exp(binomcoefln(n, j) + (n - j) * Math.log(rest) + (j - 1) * Math.log(x + j / n));
  }
  return clip(x * total);
}

/** The interval of row `i` in Pomeranz's recursion. */
function pomeranzRow(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) [j1, j2] = [-ll - ceilf - 1, ll + ceilf - 1];
  else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) [j1, j2] = [n - ll - ceilf - 1, n + ll + ceilf - 1];
      else [j1, j2] = [half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1];
    } else [j1, j2] = [half - 1 - ll - 1, half + ll + roundf - 1];
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz's (1974) exact recursion for P(D_n <= x), rows rescaled by 2^128 against underflow. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * (g / n)) / m;
    twogpower[m] = (twogpower[m - 1]! * ((2 * g) / n)) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  const SCALE = 2 ** 128;
  let v0 = new Float64Array(npwrs);
  let v1 = new Float64Array(npwrs);
  v1[0] = 1;
  let v0s = 0;
  let v1s = 0;
  let exponent = 0;
  let [j1, j2] = pomeranzRow(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [v0, v1] = [v1, v0];
    [v0s, v1s] = [v1s, v0s];
    v1.fill(0);
    [j1, j2] = pomeranzRow(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const len = j2 - k1 + 1;
    if (len <= 0) continue;
    // numpy.convolve(a, b) (full), keeping entries [j1 - k1, j2 - k1].
    const a = v0.subarray(k1 - v0s, k1 - v0s + len);
    let max = 0;
    for (let out = 0; out < j2 - j1 + 1; out++) {
      const k = j1 - k1 + out;
      let c = 0;
      for (let ai = Math.max(0, k - len + 1); ai <= Math.min(k, a.length - 1); ai++) c += a[ai]! * pwrs[k - ai]!;
      v1[out] = c;
      if (c > max) max = c;
    }
    if (max > 0 && max < 1 / SCALE) {
      for (let m = 0; m < v1.length; m++) v1[m] = v1[m]! * SCALE;
      exponent -= 128;
    }
    v1s = v0s + j1 - k1;
  }
  let ans = v1[n - v1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > SCALE) {
      ans /= SCALE;
      exponent += 128;
    }
    ans *= m;
  }
  return clip(ans * 2 ** exponent);
}

/** Pelz and Good's (1976) asymptotic series for P(D_n <= x), as scipy evaluates it. */
function pelzGoodCdf(n: number, x: number): number {
  const PI2 = Math.PI ** 2;
  const PI4 = PI2 ** 2;
  const PI6 = PI2 ** 3;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const k = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let i = maxk; i > 0; i--) {
    const m = 2 * i - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * i);
    const coeffs = [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let c = 0; c < 4; c++) k[c] = k[c]! * qpower + coeffs[c]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let c = 0; c < 4; c++) k[c] = (k[c]! * q * SQRT2PI) / divisors[c]!;
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let i = maxk; i > 0; i--) {
    const i2 = i ** 2;
    const qp = q ** i2;
    k2extra += i2 * qp;
    k3extra += (sqrt3z + Math.PI * i) * (sqrt3z - Math.PI * i) * i2 * qp;
  }
  k[2] = k[2]! + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  k[3] = k[3]! + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let cdf = 0;
  for (let c = 0; c < 4; c++) cdf += k[c]! / n ** (c / 2);
  return clip(cdf);
}

/** scipy's `_kolmogn(n, x, cdf=False)`. */
export function kstwoSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const logCdf = n <= 140 ? undefined : factorialln(n) - n * Math.log(n) + n * Math.log(2 * t - 1);
    let cdf = 1;
    if (logCdf === undefined) for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    else cdf = Math.exp(logCdf);
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - durbinMatrixCdf(x, n));
    if (nx2 <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(x, n) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}
