/* Generated from steps/backtest/params.schema.json by `npm run gen:types`. Do not edit. */
import type {StockTradingEnvConfig} from '../../schemas/stock_trading_env_config.ts';

/**
 * Run a policy over a test period through FinRL's StockTradingEnv and report pyfolio statistics.
 */
export interface BacktestParams {
  /**
   * What trades: `agent` (the `model` input), `buy_and_hold` (equal weights bought on the first date), `index` (a benchmark ticker's close, FinRL's ^DJI baseline), `min_variance` (PyPortfolioOpt min_volatility weights, rebalanced), or `actions` (replay recorded actions from `path`). A name, or an object with `type` and that policy's options.
   */
  policy?:
    | ('agent' | 'buy_and_hold' | 'index' | 'min_variance')
    | {
        type: 'agent' | 'buy_and_hold' | 'index' | 'min_variance' | 'actions';
        /**
         * index: the benchmark's `tic`, looked up in the `index` input when connected, else in `data`. Default ^DJI.
         */
        ticker?: string;
        /**
         * min_variance: daily returns in each covariance estimate (default 252, as FinRL's tutorial). The data must hold this many dates before `start`.
         */
        lookback?: number;
        /**
         * min_variance: upper weight bound per ticker (default 1; FinRL's portfolio tutorial uses 0.1 for 30 stocks). The lower bound is 0 (long only).
         */
        max_weight?: number;
        /**
         * min_variance: rebalance on every n-th test date (default 1: daily, as FinRL's tutorial).
         */
        rebalance_every?: number;
        /**
         * actions (required): CSV relative to the project root, a header `date,<tic>,...` and one row per trading date holding the raw actions in [-1, 1].
         */
        path?: string;
      };
  env?: StockTradingEnvConfig;
  /**
   * State features; overrides env.tech_indicator_list. Must match what the agent was trained with.
   *
   * @minItems 1
   */
  tech_indicator_list?: [string, ...string[]];
  /**
   * First test date (inclusive, YYYY-MM-DD). Default: the first date of `data`.
   */
  start?: string;
  /**
   * Date after the last test date (exclusive, as FinRL's data_split). Default: after the last date of `data`.
   */
  end?: string;
  /**
   * policy `agent`: a registered model (`models:/name@alias`, `models:/name/version`), resolved at plan time into the cache key, instead of the `model` input.
   */
  model?: string;
}
