/* Generated from steps/data.split/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * FinRL's data_split: rows with start <= date < end, sorted by date then tic, for each range. train = FinRL's TRAIN_START_DATE/TRAIN_END_DATE, validation (optional; without it there is no `validation` output) = TEST_START_DATE/TEST_END_DATE, test = TRADE_START_DATE/TRADE_END_DATE. Or, with `stratified` instead of the ranges, a seeded stratified random split (for labelled text).
 */
export interface DataSplitParams {
  train?: DateRange;
  validation?: DateRange;
  test?: DateRange;
  /**
   * Column holding YYYY-MM-DD dates (FinRL's target_date_col).
   */
  date_column?: string;
  stratified?: StratifiedSplit;
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
/**
 * A seeded random split that keeps each class's share in every part (scikit-learn's stratified shuffle split): `test` and `validation` are fractions of the rows, train takes the rest. Replaces the date ranges.
 */
export interface StratifiedSplit {
  /**
   * The class column to stratify by.
   */
  column?: string;
  /**
   * Share of the rows in `test` (ceil(share x rows) rows).
   */
  test: number;
  /**
   * Share of the rows in `validation`; without it there is no `validation` output.
   */
  validation?: number;
  /**
   * Same seed and table: the same split.
   */
  seed?: number;
}
