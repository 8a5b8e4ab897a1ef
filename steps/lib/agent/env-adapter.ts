/** FinRL's StockTradingEnv (steps/lib/trading-env) as the agents' Environment: it terminates at the end of the data, never truncates. */
import type { StockTradingEnv } from '../trading-env/index.ts';
import type { Environment } from './rollout.ts';

export function tradingEnvironment(env: StockTradingEnv): Environment {
  return {
    observationSize: env.stateDim,
    actionSize: env.stockDim,
    reset: () => env.reset(),
    step(actions) {
      const { reward, terminal } = env.step(actions);
      return { observation: env.state, reward, terminal, truncated: false };
    },
  };
}
