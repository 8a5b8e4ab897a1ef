/**
 * FinRL's minimum-variance baseline (FinRL_PortfolioAllocation tutorial): on each
 * rebalance date, the covariance (pandas `DataFrame.cov`, ddof 1) of the last `lookback`
 * daily `pct_change` returns up to and including that date, PyPortfolioOpt
 * `EfficientFrontier(None, cov, weight_bounds=(0, max_weight)).min_volatility()`, then
 * `clean_weights()` (|w| < 1e-4 -> 0, rounded to 5 decimals). The quadratic program is
 * solved exactly with quadprog (Goldfarb-Idnani) instead of cvxpy's iterative solvers.
 */
import quadprog from 'quadprog';
import type { Market } from '../lib/trading-env/index.ts';
import { rebalanceOrders, type Policy } from './policy.ts';

export interface MinVarianceOptions {
  lookback: number;
  maxWeight: number;
  rebalanceEvery: number;
}

/**
 * `history` holds the test period preceded by at least `lookback` dates; the env runs
 * over the dates from `firstTestDay` on.
 */
export function minVariancePolicy(history: Market, firstTestDay: number, options: MinVarianceOptions): Policy {
  const D = history.tickers.length;
  if (options.maxWeight * D < 1) {
    throw new Error(`min_variance: max_weight ${options.maxWeight} x ${D} tickers < 1, so no long-only portfolio sums to 1`);
  }
  if (firstTestDay < options.lookback) {
    throw new Error(
      `min_variance needs ${options.lookback} dates of prices before the first test date ${history.dates[firstTestDay]}; the data has ${firstTestDay}` +
        ` (start the data earlier, set \`start\` later, or lower \`lookback\`)`,
    );
  }
  const orders = new Float64Array(D);
  const none = new Float64Array(D);
  return {
    step(env) {
      if (env.day % options.rebalanceEvery !== 0) return env.stepShares(none);
      const cov = returnCovariance(history.close, D, firstTestDay + env.day, options.lookback);
      const weights = minVolatilityWeights(cov, D, options.maxWeight);
      return env.stepShares(rebalanceOrders(env, weights, orders));
    },
  };
}

/**
 * Sample covariance (D x D, row-major) of the returns close[t]/close[t-1] - 1 for
 * t in (day - lookback, day], with pandas' pairwise Welford accumulation.
 */
export function returnCovariance(close: Float64Array, D: number, day: number, lookback: number): Float64Array {
  const first = day - lookback + 1;
  const returns = new Float64Array(lookback * D);
  for (let t = 0; t < lookback; t++) {
    for (let i = 0; i < D; i++) returns[t * D + i] = close[(first + t) * D + i]! / close[(first + t - 1) * D + i]! - 1;
  }
  const cov = new Float64Array(D * D);
  for (let x = 0; x < D; x++) {
    for (let y = 0; y <= x; y++) {
      let meanX = 0;
      let meanY = 0;
      let covXY = 0;
      for (let t = 0; t < lookback; t++) {
        const vx = returns[t * D + x]!;
        const vy = returns[t * D + y]!;
        const n = t + 1;
        const dx = vx - meanX;
        const dy = vy - meanY;
        meanX += (1 / n) * dx;
        meanY += (1 / n) * dy;
        covXY += (vx - meanX) * dy;
      }
      cov[x * D + y] = cov[y * D + x] = covXY / (lookback - 1);
    }
  }
  return cov;
}

/** Long-only minimum-variance weights with an upper bound, cleaned as PyPortfolioOpt's clean_weights. */
export function minVolatilityWeights(cov: Float64Array, D: number, maxWeight: number): Float64Array {
  let raw = solveMinVariance(cov, D, maxWeight, 0);
  if (raw === null) {
    // quadprog needs a positive definite matrix; cvxpy accepts semidefinite ones (e.g. fewer
    // returns than tickers). A ridge far below any real variance makes it solvable.
    let trace = 0;
    for (let i = 0; i < D; i++) trace += cov[i * D + i]!;
    raw = solveMinVariance(cov, D, maxWeight, ((trace / D) || 1) * 1e-10);
  }
  if (raw === null) throw new Error('min_variance: the covariance matrix is degenerate (constant prices?); no weights can be found');
  return raw.map((w) => (Math.abs(w) < 1e-4 ? 0 : roundHalfEven(w, 5)));
}

function solveMinVariance(cov: Float64Array, D: number, maxWeight: number, ridge: number): Float64Array | null {
  const bounded = maxWeight < 1;
  const q = 1 + D + (bounded ? D : 0);
  // 1-indexed, as the Fortran original. Objective w' cov w (the factor 2 cancels the 1/2).
  const Dmat: number[][] = [[]];
  const dvec: number[] = [0];
  const Amat: number[][] = [[]];
  const bvec: number[] = [0, 1];
  for (let i = 1; i <= D; i++) {
    Dmat[i] = [0];
    for (let j = 1; j <= D; j++) Dmat[i]![j] = 2 * cov[(i - 1) * D + (j - 1)]! + (i === j ? 2 * ridge : 0);
    dvec[i] = 0;
    Amat[i] = new Array<number>(q + 1).fill(0);
    Amat[i]![1] = 1; // sum of weights = 1 (the equality)
    Amat[i]![1 + i] = 1; // w_i >= 0
    if (bounded) Amat[i]![1 + D + i] = -1; // -w_i >= -max_weight
  }
  for (let i = 1; i <= D; i++) bvec[1 + i] = 0;
  if (bounded) for (let i = 1; i <= D; i++) bvec[1 + D + i] = -maxWeight;
  const result = quadprog.solveQP(Dmat, dvec, Amat, bvec, 1);
  if (result.message) return null;
  return Float64Array.from(result.solution.slice(1));
}

/** numpy.round: round half to even at `decimals` places. */
function roundHalfEven(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  const y = x * scale;
  const r = Math.round(y);
  const even = Math.abs(y % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return even / scale;
}
