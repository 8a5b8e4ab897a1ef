/* Generated from steps/backtest/params.schema.json by `npm run gen:types`. Do not edit. */

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
/**
 * Environment settings, e.g. `{ $ref: config/environments/stock_trading_env_config.yaml }`.
 */
export interface StockTradingEnvConfig {
  /**
   * Most shares traded per ticker and step: an action in [-1, 1] is multiplied by hmax and truncated toward zero.
   */
  hmax?: number;
  /**
   * Cash at reset.
   */
  initial_amount?: number;
  /**
   * Shares held at reset: one count for every ticker, or one per ticker in ticker order.
   */
  num_stock_shares?: number | [number, ...number[]];
  /**
   * Transaction cost of a buy as a fraction of its value: one for every ticker, or one per ticker in ticker order.
   */
  buy_cost_pct?: number | [number, ...number[]];
  /**
   * Transaction cost of a sale as a fraction of its value: one for every ticker, or one per ticker in ticker order.
   */
  sell_cost_pct?: number | [number, ...number[]];
  /**
   * The reward is the change of total asset value times this factor.
   */
  reward_scaling?: number;
  /**
   * When the turbulence read on the previous step is at or above this, every position is liquidated and buying is blocked. null disables it.
   */
  turbulence_threshold?: number | null;
  /**
   * Feature column holding the turbulence index (read from the first ticker of each date, as FinRL does).
   */
  risk_indicator_col?: string;
  /**
   * Feature columns placed in the state, indicator-major. Defaults to FinRL's INDICATORS.
   *
   * @minItems 1
   */
  tech_indicator_list?: [string, ...string[]];
}
