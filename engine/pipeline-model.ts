/**
 * The pipeline's data model: a step as the loader resolved it, and the resolved spec the
 * spec cache keeps. Types only; the loader, the graph builder and the caches all use them.
 */
import type { PipelineFile } from '../schemas/pipeline.ts';
import type { LoadedPlugin } from './plugin-loader.ts';

export interface InputRef {
  step: string;
  output: string;
}

export interface Step {
  readonly id: string;
  readonly uses: string;
  readonly plugin: LoadedPlugin;
  /** Params after `$ref`, vars, `--set` and schema defaults. */
  readonly params: Record<string, unknown>;
  readonly inputs: Readonly<Record<string, InputRef>>;
  readonly outputs: readonly string[];
  readonly needs: readonly string[];
  readonly env: readonly string[];
  readonly cache: boolean;
  readonly alwaysRun: boolean;
  readonly resources: Readonly<Record<string, number>>;
  /** Extra attempts after a failure, from `retries:`; unset means the executor's default (engine/retry.ts). */
  readonly retries?: number;
  /** Project-relative workspace files read and written (DVC-style). */
  readonly deps: readonly string[];
  readonly outs: readonly string[];
}

/** A pipeline file after YAML, `$ref`, includes, `${vars}`, `--set` and matrices: plain data. */
export interface ResolvedSpec {
  name: string;
  plugins: Record<string, string>;
  summary: string[];
  steps: PipelineFile['steps'];
  /** Every YAML file read: the pipeline and what it references. */
  sources: string[];
}
