/* Generated from steps/features.indicators/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * FinRL's FeatureEngineer.preprocess_data: stockstats indicators per ticker, optional VIX and turbulence index, then ffill/bfill.
 */
export interface IndicatorsParams {
  /**
   * stockstats names, one output column each (e.g. macd, boll_ub, rsi_30, close_30_sma, close_20_ema, atr_14). Defaults to FinRL's INDICATORS.
   */
  indicators?: string[];
  /**
   * Drop every ticker that lacks a close on any date of the table (FinRL's clean_data).
   */
  clean?: boolean;
  /**
   * Add column `vix`: the close of `vix_tic` from the `vix` input, merged on date (left merge).
   */
  use_vix?: boolean;
  /**
   * The ticker whose close the `vix` input provides.
   */
  vix_tic?: string;
  /**
   * Add column `turbulence`: FinRL's turbulence index of each date.
   */
  use_turbulence?: boolean;
  /**
   * Dates in the turbulence covariance window, and dates before the first value (FinRL: 252).
   */
  turbulence_lookback?: number;
  /**
   * FinRL's closing `ffill().bfill()` over the (date, tic)-sorted table. false keeps NaN.
   */
  fill_missing?: boolean;
}
