/**
 * Messages between the engine and a plugin worker thread. A CPU-bound step runs in a
 * worker; its StepContext there is a proxy: logs, progress, tracking, registry calls and
 * secret use travel to the engine over the port, aborts travel the other way.
 */
import type { Artifact, ArtifactKind, RunInfo } from '../plugin.ts';

/** An input artifact as the worker rebuilds it: read from the store object's path. */
export interface InputRef {
  kind: ArtifactKind;
  hash: string;
  path: string;
}

/** Engine -> worker. */
export type ToWorker =
  | {
      type: 'run';
      /** The plugin's module, loaded in the worker (once per worker). */
      entry: string;
      params: Record<string, unknown>;
      inputs: Record<string, InputRef>;
      /** `registry`: its description, when the step has one (calls go through the engine). */
      ctx: { stepId: string; projectRoot: string; scratchDir: string; env: Record<string, string | undefined>; run?: RunInfo; registry?: string };
      /** The run's environment, from which the worker reads secrets as the engine would. */
      secretEnv: Record<string, string | undefined>;
    }
  | { type: 'abort'; reason: string }
  | { type: 'registry-result'; id: number; ok: true; value: unknown }
  | { type: 'registry-result'; id: number; ok: false; message: string };

/** Worker -> engine. */
export type FromWorker =
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'track'; method: 'params' | 'metric' | 'tag' | 'artifact'; args: unknown[] }
  | { type: 'secret'; name: string }
  | { type: 'registry'; id: number; method: string; args: unknown[] }
  | { type: 'done'; outputs: Record<string, Artifact> }
  | { type: 'failed'; message: string; aborted: boolean };
