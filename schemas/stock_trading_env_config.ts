/* Generated from schemas/stock_trading_env_config.schema.json by `npm run gen:types`. Do not edit. */

/**
 * FinRL StockTradingEnv settings (the env_kwargs of FinRL's tutorials). Every field has FinRL's usual default.
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
