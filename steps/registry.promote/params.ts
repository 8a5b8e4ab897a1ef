/* Generated from steps/registry.promote/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Moves the champion alias to the challenger when every metric condition holds against the current champion.
 */
export interface RegistryPromoteParams {
  /**
   * Registered model name.
   */
  model: string;
  /**
   * All must hold: challenger <op> champion, with `tolerance` of absolute slack in the challenger's favour.
   *
   * @minItems 1
   */
  metric_conditions: [
    {
      /**
       * Key in the stats JSON, e.g. 'Sharpe ratio'.
       */
      metric: string;
      op: '>' | '>=' | '<' | '<=';
      tolerance?: number;
    },
    ...{
      /**
       * Key in the stats JSON, e.g. 'Sharpe ratio'.
       */
      metric: string;
      op: '>' | '>=' | '<' | '<=';
      tolerance?: number;
    }[]
  ];
  /**
   * The alias to move.
   */
  alias?: string;
  /**
   * Alias naming the challenger when no `candidate` input is connected.
   */
  challenger_alias?: string;
}
