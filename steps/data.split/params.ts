/* Generated from steps/data.split/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * FinRL's data_split: rows with start <= date < end, sorted by date then tic, for each range. train = FinRL's TRAIN_START_DATE/TRAIN_END_DATE, validation (optional; without it there is no `validation` output) = TEST_START_DATE/TEST_END_DATE, test = TRADE_START_DATE/TRADE_END_DATE.
 */
export interface DataSplitParams {
  train: DateRange;
  validation?: DateRange;
  test: DateRange;
  /**
   * Column holding YYYY-MM-DD dates (FinRL's target_date_col).
   */
  date_column?: string;
}
export interface DateRange {
  /**
   * First date, YYYY-MM-DD, inclusive.
   */
  start: string;
  /**
   * End date, YYYY-MM-DD, exclusive.
   */
  end: string;
}
