/**
 * FinRL's turbulence index (`FeatureEngineer.calculate_turbulence`), reproduced step for step:
 * - returns are `close.pct_change()` of the dates × tickers close pivot (pandas 3: no fill, so a
 *   missing close makes that return and the next one NaN);
 * - date i (from `lookback` on) looks at the `lookback` dates strictly before it, drops the first
 *   k of them where k is the smallest NaN count of any ticker in that window, then drops every
 *   ticker with a NaN left (`iloc[k:].dropna(axis=1)`);
 * - turbulence = (r_i - mean)' pinv(cov) (r_i - mean) with the sample covariance (ddof 1);
 * - 0 before `lookback`, 0 unless positive, and the first two positive values are zeroed.
 *
 * Speed: while every ticker is in and the window holds only finite returns (the normal case), the
 * covariance comes from running sums updated by one row in and one row out per date, re-centred
 * and rebuilt from scratch every `lookback` dates so rounding cannot build up.
 */
import { FINRL_TURBULENCE_LOOKBACK } from './catalog.ts';
import { pinvQuadraticForm, quadraticWorkspace } from './pinv-quadratic.ts';

/** `close` is dates × tickers, row-major, NaN where a ticker has no close on a date. */
export function finrlTurbulence(close: Float64Array, nDates: number, nTickers: number, lookback = FINRL_TURBULENCE_LOOKBACK): Float64Array {
  const T = nTickers;
  const returns = new Float64Array(nDates * T);
  for (let k = 0; k < T; k++) returns[k] = NaN;
  for (let d = 1; d < nDates; d++) {
    for (let k = 0; k < T; k++) returns[d * T + k] = close[d * T + k]! / close[(d - 1) * T + k]! - 1;
  }
  // prefix counts: NaNs per ticker, and rows holding any non-finite return
  const nanBefore = new Int32Array((nDates + 1) * T);
  const badRowsBefore = new Int32Array(nDates + 1);
  for (let d = 0; d < nDates; d++) {
    let bad = false;
    for (let k = 0; k < T; k++) {
      const r = returns[d * T + k]!;
      nanBefore[(d + 1) * T + k] = nanBefore[d * T + k]! + (r !== r ? 1 : 0);
      if (!Number.isFinite(r)) bad = true;
    }
    badRowsBefore[d + 1] = badRowsBefore[d]! + (bad ? 1 : 0);
  }
  const nanIn = (k: number, from: number, to: number) => nanBefore[to * T + k]! - nanBefore[from * T + k]!;

  const out = new Float64Array(nDates);
  const kept = new Int32Array(T);
  const cov = new Float64Array(T * T);
  const x = new Float64Array(T);
  const ws = quadraticWorkspace(T);
  const running = runningMoments(returns, T);
  let positives = 0;
  for (let i = lookback; i < nDates; i++) {
    let skip = Infinity;
    for (let k = 0; k < T; k++) skip = Math.min(skip, nanIn(k, i - lookback, i));
    const from = i - lookback + skip;
    let m = 0;
    for (let k = 0; k < T; k++) if (nanIn(k, from, i) === 0) kept[m++] = k;
    const rows = i - from;
    let form = NaN;
    if (m === 0) {
      form = 0;
    } else if (rows >= 2) {
      if (m === T && badRowsBefore[i] === badRowsBefore[from]) running.covariance(from, i, cov, x, i);
      else directCovariance(returns, T, kept, m, from, i, cov, x);
      form = pinvQuadraticForm(cov, x, m, ws);
    }
    if (form > 0) {
      positives++;
      out[i] = positives > 2 ? form : 0;
    }
  }
  return out;
}

/** Two-pass sample covariance of the kept tickers over rows [from, to), and x = returns[row] - mean. */
function directCovariance(returns: Float64Array, T: number, kept: Int32Array, m: number, from: number, to: number, cov: Float64Array, x: Float64Array): void {
  const rows = to - from;
  for (let a = 0; a < m; a++) {
    const k = kept[a]!;
    let sum = 0;
    for (let d = from; d < to; d++) sum += returns[d * T + k]!;
    x[a] = sum / rows; // the mean, for now
  }
  for (let a = 0; a < m; a++) {
    const ka = kept[a]!;
    for (let b = 0; b <= a; b++) {
      const kb = kept[b]!;
      let s = 0;
      for (let d = from; d < to; d++) s += (returns[d * T + ka]! - x[a]!) * (returns[d * T + kb]! - x[b]!);
      cov[a * m + b] = cov[b * m + a] = s / (rows - 1);
    }
  }
  for (let a = 0; a < m; a++) x[a] = returns[to * T + kept[a]!]! - x[a]!;
}

/**
 * Sums of (r - c) and (r - c)(r - c)' over a sliding row range of finite returns, with c the
 * range's mean at the last rebuild (centring keeps S - s s'/n free of cancellation).
 */
function runningMoments(returns: Float64Array, T: number) {
  const shift = new Float64Array(T);
  const sum = new Float64Array(T);
  const cross = new Float64Array(T * T); // lower triangle used
  const dev = new Float64Array(T);
  let from = 0;
  let to = 0;
  let valid = false;
  let updates = 0;

  const apply = (row: number, sign: 1 | -1) => {
    for (let k = 0; k < T; k++) dev[k] = returns[row * T + k]! - shift[k]!;
    for (let j = 0; j < T; j++) {
      const dj = sign * dev[j]!;
      sum[j]! += dj;
      for (let k = 0; k <= j; k++) cross[j * T + k]! += dj * dev[k]!;
    }
  };
  const rebuild = (a: number, b: number) => {
    shift.fill(0);
    for (let d = a; d < b; d++) for (let k = 0; k < T; k++) shift[k]! += returns[d * T + k]!;
    for (let k = 0; k < T; k++) shift[k]! /= b - a;
    sum.fill(0);
    cross.fill(0);
    for (let d = a; d < b; d++) apply(d, 1);
    from = a;
    to = b;
    valid = true;
    updates = 0;
  };

  return {
    /** Covariance over rows [a, b) into `cov` (T×T) and `x` = returns[row] - mean. */
    covariance(a: number, b: number, cov: Float64Array, x: Float64Array, row: number): void {
      if (!valid || a < from || a > to || b < to || updates + (b - to) > b - a) {
        rebuild(a, b);
      } else {
        for (let d = to; d < b; d++) apply(d, 1);
        for (let d = from; d < a; d++) apply(d, -1);
        updates += b - to;
        from = a;
        to = b;
      }
      const perRow = 1 / (b - a);
      const perDegree = 1 / (b - a - 1);
      for (let j = 0; j < T; j++) {
        const meanJ = sum[j]! * perRow;
        for (let k = 0; k <= j; k++) cov[j * T + k] = cov[k * T + j] = (cross[j * T + k]! - meanJ * sum[k]!) * perDegree;
        x[j] = returns[row * T + j]! - shift[j]! - meanJ;
      }
    },
  };
}
