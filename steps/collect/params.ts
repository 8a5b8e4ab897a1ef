/* Generated from steps/collect/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Gathers the JSON outputs of every instance of a matrix step into one table.
 */
export interface CollectParams {
  /**
   * Top-level fields of each JSON object to keep (default: every number, string and boolean field).
   */
  fields?: string[];
}
