/**
 * The report's data preparation: pyfolio's underwater (drawdown) and rolling-Sharpe
 * series, computed the way pyfolio's tear sheet plots them.
 */
import { PERIODS_PER_YEAR } from '../lib/perf-stats/perf-stats.ts';

/**
 * pyfolio `plot_drawdown_underwater` as a fraction: value / running peak - 1 (pyfolio
 * plots it times 100). Ratios of values equal ratios of cumulative returns, so this is
 * pyfolio's series computed on the account value directly.
 */
export function drawdown(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let peak = -Infinity;
  for (let i = 0; i < values.length; i++) {
    peak = Math.max(peak, values[i]!);
    out[i] = values[i]! / peak - 1;
  }
  return out;
}

/**
 * pyfolio `rolling_sharpe`: `returns.rolling(window).mean() / returns.rolling(window).std()
 * * sqrt(252)`. pandas needs `window` non-NaN values (so the leading pct_change NaN delays
 * the first value by a day); std has ddof=1 and is exactly 0 for a window of equal values,
 * which makes 0/0 NaN and x/0 an infinity, as pandas gives.
 */
export function rollingSharpe(returns: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(returns.length).fill(NaN);
  const annualise = Math.sqrt(PERIODS_PER_YEAR);
  for (let end = window; end <= returns.length; end++) {
    let sum = 0;
    let missing = false;
    let allEqual = true;
    const first = returns[end - window]!;
    for (let i = end - window; i < end; i++) {
      const r = returns[i]!;
      if (Number.isNaN(r)) missing = true;
      if (r !== first) allEqual = false;
      sum += r;
    }
    if (missing) continue;
    const mean = sum / window;
    let squares = 0;
    if (!allEqual) for (let i = end - window; i < end; i++) squares += (returns[i]! - mean) ** 2;
    out[end - 1] = (mean / Math.sqrt(squares / (window - 1))) * annualise;
  }
  return out;
}
