/* Generated from steps/report/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A self-contained HTML report of a backtest against its baselines.
 */
export interface ReportParams {
  /**
   * Page title.
   */
  title?: string;
  /**
   * Project-relative path where a copy of the report is also written (e.g. reports/full_strategy.html); restored on a cache hit.
   */
  out?: string;
  /**
   * Names shown for the agent and the baselines (defaults: Agent, Buy and hold, Index, Min variance).
   */
  labels?: {
    agent?: string;
    buy_and_hold?: string;
    index?: string;
    min_variance?: string;
  };
  /**
   * Trading days in the rolling Sharpe window.
   */
  rolling_sharpe_window?: number;
}
