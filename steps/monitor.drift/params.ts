/* Generated from steps/monitor.drift/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Stattest for every column: `auto` chooses as Evidently does (by reference size, column type and distinct values).
 */
export type DriftMethod = 'auto' | 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl_div';
export type DriftMethod1 = 'auto' | 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl_div';

/**
 * Data drift between a reference and a current table, with Evidently 0.7's DataDriftPreset semantics.
 */
export interface MonitorDriftParams {
  /**
   * Columns to compare. Default: every numerical and categorical column except `exclude` and `group_by`.
   *
   * @minItems 1
   */
  columns?: [string, ...string[]];
  /**
   * Columns left out when `columns` is not given.
   */
  exclude?: string[];
  /**
   * Columns to treat as categorical whatever their values (Evidently's categorical_columns).
   */
  categorical?: string[];
  method?: DriftMethod;
  /**
   * Threshold for every column (Evidently's `threshold`). Default: the method's own (0.05 for p-values, 0.1 for distances).
   */
  threshold?: number;
  /**
   * Method and threshold overrides by column (Evidently's per_column_method / per_column_threshold).
   */
  per_column?: {
    [k: string]: ColumnDriftOptions;
  };
  /**
   * The dataset drifts when at least this share of its columns drift.
   */
  drift_share?: number;
  /**
   * Also judge each group of rows with this column's value (e.g. `tic`) on its own, beside the whole tables.
   */
  group_by?: string;
  /**
   * Fail the step when the dataset (or a group) drifts, naming the drifted columns.
   */
  fail_on_drift?: boolean;
}
export interface ColumnDriftOptions {
  method?: DriftMethod1;
  threshold?: number;
}
