/**
 * pyfolio's `perf_stats` (pyfolio/timeseries.py over empyrical) for daily returns, with
 * the same names, definitions and NaN handling, so a backtest here reports the numbers
 * FinRL's `backtest_stats` prints. Risk-free rate 0, 252 periods a year.
 */

export const PERIODS_PER_YEAR = 252;

/** Keys in pyfolio's order. */
export const PERF_STAT_NAMES = [
  'Annual return',
  'Cumulative returns',
  'Annual volatility',
  'Sharpe ratio',
  'Calmar ratio',
  'Stability',
  'Max drawdown',
  'Omega ratio',
  'Sortino ratio',
  'Skew',
  'Kurtosis',
  'Tail ratio',
  'Daily value at risk',
] as const;

export type PerfStatName = (typeof PERF_STAT_NAMES)[number];
export type PerfStats = Record<PerfStatName, number>;

/**
 * FinRL's `get_daily_return`: pandas `pct_change`, `value[i] / value[i-1] - 1`, with a
 * leading NaN (kept: pyfolio counts it in `len(returns)`, and it makes Skew and Kurtosis NaN).
 */
export function dailyReturns(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  if (values.length > 0) out[0] = NaN;
  for (let i = 1; i < values.length; i++) out[i] = values[i]! / values[i - 1]! - 1;
  return out;
}

/** pyfolio `perf_stats(returns)`; NaN where pyfolio gives NaN. */
export function perfStats(returns: Float64Array): PerfStats {
  const maxDd = maxDrawdown(returns);
  return {
    'Annual return': annualReturn(returns),
    'Cumulative returns': cumReturnsFinal(returns),
    'Annual volatility': annualVolatility(returns),
    'Sharpe ratio': sharpeRatio(returns),
    'Calmar ratio': calmarRatio(returns, maxDd),
    Stability: stabilityOfTimeseries(returns),
    'Max drawdown': maxDd,
    'Omega ratio': omegaRatio(returns),
    'Sortino ratio': sortinoRatio(returns),
    Skew: skew(returns),
    Kurtosis: kurtosis(returns),
    'Tail ratio': tailRatio(returns),
    'Daily value at risk': valueAtRisk(returns),
  };
}

/** The stats as JSON-ready values: NaN and infinities become null, as pandas writes them. */
export function statsToJson(stats: PerfStats): Record<PerfStatName, number | null> {
  const out = {} as Record<PerfStatName, number | null>;
  for (const name of PERF_STAT_NAMES) out[name] = Number.isFinite(stats[name]) ? stats[name] : null;
  return out;
}

/** empyrical `cum_returns_final`: nanprod(1 + r) - 1. */
export function cumReturnsFinal(returns: Float64Array): number {
  if (returns.length === 0) return NaN;
  let product = 1;
  for (const r of returns) if (!Number.isNaN(r)) product *= r + 1;
  return product - 1;
}

/** empyrical `annual_return` (CAGR); `len(returns)` counts NaN entries, as empyrical does. */
export function annualReturn(returns: Float64Array): number {
  if (returns.length < 1) return NaN;
  const years = returns.length / PERIODS_PER_YEAR;
  return (cumReturnsFinal(returns) + 1) ** (1 / years) - 1;
}

/** empyrical `annual_volatility`: nanstd(ddof=1) * sqrt(252). */
export function annualVolatility(returns: Float64Array): number {
  if (returns.length < 2) return NaN;
  return nanStd(returns) * PERIODS_PER_YEAR ** (1 / 2);
}

/** empyrical `sharpe_ratio` with risk-free 0: nanmean / nanstd(ddof=1) * sqrt(252). */
export function sharpeRatio(returns: Float64Array): number {
  if (returns.length < 2) return NaN;
  return (nanMean(returns) / nanStd(returns)) * Math.sqrt(PERIODS_PER_YEAR);
}

/** empyrical `max_drawdown`: worst fall of the cumulative value (from 100) below its running peak. */
export function maxDrawdown(returns: Float64Array): number {
  if (returns.length < 1) return NaN;
  let growth = 1;
  let peak = 100;
  let worst = 0; // the starting point (100 vs 100) is part of empyrical's series
  for (const r of returns) {
    growth *= 1 + (Number.isNaN(r) ? 0 : r);
    const value = growth * 100; // cumprod first, then * starting value, as empyrical
    peak = Math.max(peak, value);
    worst = Math.min(worst, (value - peak) / peak);
  }
  return worst;
}

/** empyrical `calmar_ratio`: annual return / |max drawdown|, NaN without a drawdown or when infinite. */
export function calmarRatio(returns: Float64Array, maxDd = maxDrawdown(returns)): number {
  if (!(maxDd < 0)) return NaN;
  const ratio = annualReturn(returns) / Math.abs(maxDd);
  return Number.isFinite(ratio) ? ratio : NaN;
}

/**
 * empyrical `stability_of_timeseries`: r^2 of scipy's linregress of the cumulative log
 * returns (NaN dropped) on 0..n-1. NaN with fewer than 2 points (scipy cannot regress them).
 */
export function stabilityOfTimeseries(returns: Float64Array): number {
  if (returns.length < 2) return NaN;
  const y: number[] = [];
  let cum = 0;
  for (const r of returns) {
    if (Number.isNaN(r)) continue;
    cum += Math.log1p(r);
    y.push(cum);
  }
  const n = y.length;
  if (n < 2) return NaN;
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (const v of y) yMean += v;
  yMean /= n;
  // np.cov(x, y, bias=1): population (co)variances.
  let ssxm = 0;
  let ssxym = 0;
  let ssym = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - xMean;
    const dy = y[i]! - yMean;
    ssxm += dx * dx;
    ssxym += dx * dy;
    ssym += dy * dy;
  }
  if (ssxm === 0 || ssym === 0) return 0;
  const r = Math.max(-1, Math.min(1, ssxym / n / Math.sqrt((ssxm / n) * (ssym / n))));
  return r ** 2;
}

/** empyrical `omega_ratio` with risk-free 0 and required return 0: gains / losses. */
export function omegaRatio(returns: Float64Array): number {
  if (returns.length < 2) return NaN;
  let gains = 0;
  let losses = 0;
  for (const r of returns) {
    if (r > 0) gains += r;
    else if (r < 0) losses -= r;
  }
  return losses > 0 ? gains / losses : NaN;
}

/** empyrical `sortino_ratio`: nanmean * 252 / (sqrt(nanmean(min(r, 0)^2)) * sqrt(252)). */
export function sortinoRatio(returns: Float64Array): number {
  if (returns.length < 2) return NaN;
  let sumSquares = 0;
  let count = 0;
  for (const r of returns) {
    if (Number.isNaN(r)) continue;
    const down = Math.min(r, 0);
    sumSquares += down * down;
    count++;
  }
  const downsideRisk = Math.sqrt(sumSquares / count) * Math.sqrt(PERIODS_PER_YEAR);
  return (nanMean(returns) * PERIODS_PER_YEAR) / downsideRisk;
}

/** scipy.stats.skew (biased, NaN propagates). */
export function skew(returns: Float64Array): number {
  const m = centralMoments(returns);
  if (m === null) return NaN;
  return m.m3 / m.m2 ** 1.5;
}

/** scipy.stats.kurtosis (Fisher, biased, NaN propagates). */
export function kurtosis(returns: Float64Array): number {
  const m = centralMoments(returns);
  if (m === null) return NaN;
  return m.m4 / m.m2 ** 2 - 3;
}

/** empyrical `tail_ratio`: |95th percentile| / |5th percentile| of the non-NaN returns. */
export function tailRatio(returns: Float64Array): number {
  const sorted = returns.filter((r) => !Number.isNaN(r)).sort();
  if (sorted.length < 1) return NaN;
  return Math.abs(percentile(sorted, 95)) / Math.abs(percentile(sorted, 5));
}

/** pyfolio `value_at_risk` (variance-covariance, sigma 2): mean - 2 * std (pandas, NaN skipped, ddof=1). */
export function valueAtRisk(returns: Float64Array, sigma = 2): number {
  return nanMean(returns) - sigma * nanStd(returns);
}

/** numpy.percentile with the default linear method on sorted values (numpy's `_lerp`). */
function percentile(sorted: Float64Array, q: number): number {
  const index = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(index);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = index - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** scipy's biased central moments; null when NaN is present or the variance is numerically zero. */
function centralMoments(values: Float64Array): { m2: number; m3: number; m4: number } | null {
  const n = values.length;
  if (n === 0) return null;
  let mean = 0;
  for (const v of values) {
    if (Number.isNaN(v)) return null;
    mean += v;
  }
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of values) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  // scipy: a variance within rounding of zero makes skew and kurtosis NaN.
  if (m2 <= (Number.EPSILON * mean) ** 2) return null;
  return { m2, m3: m3 / n, m4: m4 / n };
}

function nanMean(values: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/** Sample standard deviation (ddof=1) of the non-NaN values. */
function nanStd(values: Float64Array): number {
  const mean = nanMean(values);
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += (v - mean) ** 2;
    count++;
  }
  return count < 2 ? NaN : Math.sqrt(sum / (count - 1));
}
