/** What the backtest drives: anything that takes one step of the environment. */
import type { EnvStepResult, StockTradingEnv } from '../lib/trading-env/index.ts';

export interface Policy {
  /** Takes the step for the env's current date (env.step or env.stepShares). */
  step(env: StockTradingEnv): EnvStepResult;
  dispose?(): void;
}

/**
 * Whole-share orders that move each holding to `weights[i]` of today's total asset value:
 * target = floor(w * value / (close * (1 + buy_cost_pct))), so a full set of buys is affordable.
 */
export function rebalanceOrders(env: StockTradingEnv, weights: Float64Array, out: Float64Array): Float64Array {
  const value = env.totalAsset();
  const base = env.day * env.stockDim;
  for (let i = 0; i < env.stockDim; i++) {
    const price = env.market.close[base + i]!;
    const target = Math.floor((weights[i]! * value) / (price * (1 + env.buyCost[i]!)));
    out[i] = target - env.holdings[i]!;
  }
  return out;
}

/** Equal weights bought on the first date, held afterwards. */
export function buyAndHoldPolicy(stockDim: number): Policy {
  const weights = new Float64Array(stockDim).fill(1 / stockDim);
  const orders = new Float64Array(stockDim);
  const none = new Float64Array(stockDim);
  return {
    step: (env) => env.stepShares(env.day === 0 ? rebalanceOrders(env, weights, orders) : none),
  };
}

/** The trained agent in `dir` (the `model` input), deterministic actions in [-1, 1]. */
export async function agentPolicy(dir: string): Promise<Policy> {
  const { loadAgent } = await import('../lib/agent/load.ts');
  const agent = await loadAgent(dir);
  return {
    step: (env) => env.step(agent.act(env.state)),
    dispose: () => agent.dispose(),
  };
}

/** Recorded actions, one row per date of the test period (see actions-csv.ts). */
export function replayPolicy(actions: readonly Float64Array[]): Policy {
  return { step: (env) => env.step(actions[env.day]!) };
}
