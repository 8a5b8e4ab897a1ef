/* Generated from schemas/global_vars.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A folder relative to the project root.
 */
export type Folder = string;

/**
 * Project-wide values (config/common/global_vars.yaml) in the style of FinRL's config.py. Date ranges are half-open [START, END). Further UPPER_CASE variables may be added.
 */
export interface GlobalVars {
  /**
   * First day of the training split.
   */
  TRAIN_START_DATE: string;
  /**
   * Day after the training split.
   */
  TRAIN_END_DATE: string;
  /**
   * First day of the validation split.
   */
  VALIDATION_START_DATE: string;
  /**
   * Day after the validation split.
   */
  VALIDATION_END_DATE: string;
  /**
   * First day of the test (backtest) split.
   */
  TEST_START_DATE: string;
  /**
   * Day after the test split.
   */
  TEST_END_DATE: string;
  /**
   * First day of the trading (paper) window.
   */
  TRADE_START_DATE: string;
  /**
   * Day after the trading window.
   */
  TRADE_END_DATE: string;
  /**
   * Technical indicators (stockstats names), FinRL's INDICATORS.
   */
  INDICATORS?: string[];
  /**
   * Seed shared by synthetic data, splits and training unless a step sets its own.
   */
  SEED?: number;
  DATA_SAVE_DIR?: Folder;
  TRAINED_MODEL_DIR?: Folder;
  TENSORBOARD_LOG_DIR?: Folder;
  RESULTS_DIR?: Folder;
  /**
   * Per-ticker state features of the default agent (the environment's tech_indicator_list): indicators plus VIX and news sentiment columns.
   *
   * @minItems 1
   */
  AGENT_FEATURES?: [string, ...string[]];
}
