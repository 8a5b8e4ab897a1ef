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
  /**
   * Pipeline fragments (project-relative paths) whose steps, vars and plugins are merged into this pipeline. This file's own vars and plugins win; a step id defined twice is an error.
   */
  include?: string[];
  /**
   * What `run` prints at the end: `step.output` (tables aligned, JSON as key: value) or a step's out path (printed as a path).
   */
  summary?: string[];
  schedule?: Schedule;
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
  /**
   * Extra attempts after a failure (0 to 20). Unset: 0 locally; on Temporal workers 2, so a lost worker's step is retried elsewhere.
   */
  retries?: number;
  /**
   * Expand into one step per combination, `id@key=value,...`. A mapping of lists, or the id of another matrix step whose combinations to follow. `${matrix.key}` is replaced in `with`.
   */
  matrix?:
    | {
        /**
         * @minItems 1
         */
        [k: string]: [string | number | boolean, ...(string | number | boolean)[]];
      }
    | string;
}
/**
 * When `tradepipe schedule` runs this pipeline on its own.
 */
export interface Schedule {
  /**
   * Cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first.
   */
  cron: string;
  /**
   * IANA time zone the cron expression is read in, e.g. America/New_York.
   */
  timezone?: string;
  /**
   * A fire while this pipeline's previous run is still running: skip it, queue it (one pending at most), or cancel the running one and start.
   */
  overlap?: 'skip' | 'queue' | 'cancel';
  /**
   * After downtime: run nothing missed, or the most recent missed slot once.
   */
  catch_up?: 'none' | 'latest';
  /**
   * `step.param.path: value` overrides for scheduled runs, like `run --set`.
   */
  set?: {
    [k: string]: unknown;
  };
}
