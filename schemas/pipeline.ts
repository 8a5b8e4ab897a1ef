/* Generated from schemas/pipeline.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A tradepipe pipeline file (pipelines.d/*.yaml).
 */
export interface PipelineFile {
  /**
   * Name shown in output and tracking; defaults to the file name.
   */
  pipeline?: string;
  description?: string;
  /**
   * Values referenced as ${vars.name} anywhere in the steps.
   */
  vars?: {
    [k: string]: unknown;
  };
  /**
   * User plugins by name: a path (relative to the project root) or an npm package.
   */
  plugins?: {
    [k: string]: string;
  };
  steps: {
    [k: string]: Step;
  };
}
export interface Step {
  /**
   * Plugin name, or a path to a plugin module.
   */
  uses: string;
  description?: string;
  /**
   * Params, validated by the plugin's JSON Schema.
   */
  with?: {
    [k: string]: unknown;
  };
  /**
   * Input ports wired to other steps' outputs as `step.output`.
   */
  inputs?: {
    [k: string]: string;
  };
  /**
   * Steps that must finish first, without passing data.
   */
  needs?: string[];
  /**
   * Environment variables whose values are part of the cache key.
   */
  env?: string[];
  /**
   * false: never reuse outputs; the step runs every time.
   */
  cache?: boolean;
  /**
   * true: run every time, but keep caching outputs so unchanged bytes spare dependents.
   */
  always_run?: boolean;
  /**
   * Resource tags limiting concurrency, e.g. { gpu: 1 }.
   */
  resources?: {
    [k: string]: number;
  };
}
