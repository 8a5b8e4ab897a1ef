/* Generated from steps/monitor.quality/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Data quality checks on a table; each configured check passes or fails, `fail_on` checks fail the step.
 */
export interface MonitorQualityParams {
  rows?: RowCountCheck;
  missing?: MissingValuesCheck;
  /**
   * Every present value of the column must lie in [min, max].
   */
  ranges?: {
    [k: string]: ValueRange;
  };
  /**
   * Key columns no two rows may share, e.g. [date, tic].
   *
   * @minItems 1
   */
  duplicates?: [string, ...string[]];
  staleness?: StalenessCheck;
  /**
   * Tickers that must be present in `ticker_column`.
   *
   * @minItems 1
   */
  tickers?: [string, ...string[]];
  ticker_column?: string;
  /**
   * Checks whose failure fails the step (the others are reported only).
   */
  fail_on?: ('rows' | 'missing' | 'ranges' | 'duplicates' | 'staleness' | 'tickers')[];
}
/**
 * The row count must lie in [min, max].
 */
export interface RowCountCheck {
  min?: number;
  max?: number;
}
/**
 * The share of missing values (NaN, null) per column must not exceed `max_share` (or the column's own limit).
 */
export interface MissingValuesCheck {
  /**
   * Columns to check. Default: every column.
   *
   * @minItems 1
   */
  columns?: [string, ...string[]];
  max_share?: number;
  /**
   * Limits by column, overriding `max_share`.
   */
  per_column?: {
    [k: string]: number;
  };
}
export interface ValueRange {
  min?: number;
  max?: number;
}
/**
 * The last date must be the last completed trading session before today in the market's time zone (or at most `max_sessions_behind` sessions older).
 */
export interface StalenessCheck {
  date_column?: string;
  /**
   * Trading calendar: NYSE (weekends and NYSE holidays closed) or weekdays.
   */
  calendar?: 'NYSE' | 'weekdays';
  /**
   * The market's IANA time zone, which decides what day today is.
   */
  time_zone?: string;
  max_sessions_behind?: number;
  /**
   * Judge as of this day (YYYY-MM-DD) instead of today: reproducible reports.
   */
  as_of?: string;
}
