/* Generated from steps/ingest.table/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A local CSV or Parquet file read as a table.
 */
export interface IngestTableParams {
  /**
   * The file, relative to the project root. Part of the cache key through its content.
   */
  path: string;
  /**
   * File format; by default taken from the extension (.csv, .parquet or .pq).
   */
  format?: 'csv' | 'parquet';
  /**
   * Declared column types. CSV: cells must parse as the type (other columns are inferred: number when every cell is a number or empty). Parquet: the column must hold the type; int columns widen to number, whole-number columns narrow to int.
   */
  types?: {
    [k: string]: 'number' | 'int' | 'string';
  };
}
