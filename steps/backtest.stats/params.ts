/* Generated from steps/backtest.stats/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * pyfolio perf_stats of an account value series.
 */
export interface BacktestStatsParams {
  /**
   * Column holding the account value (FinRL's `value_col_name`).
   */
  value_column?: string;
}
