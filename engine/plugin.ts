/**
 * The plugin contract. A plugin is self-contained: it declares a JSON Schema for
 * its params, a version, its ports, and a `run` that turns params and inputs into
 * outputs. It knows nothing about scheduling or caching; the engine knows nothing
 * about what a plugin computes.
 */
import type { Table } from './table/table.ts';
import type { ModelRegistry } from './tracking/registry/types.ts';

/** What a plugin returns for one output port. The engine hashes and stores it. */
export type Artifact =
  | { kind: 'json'; value: unknown }
  | { kind: 'table'; table: Table }
  /** Raw bytes; `ext` only decorates the file name when materialised. */
  | { kind: 'bytes'; data: Uint8Array; ext?: string }
  /** A file or a directory the plugin wrote (normally under ctx.scratchDir). Moved into the store. */
  | { kind: 'file'; path: string }
  | { kind: 'dir'; path: string };

export type ArtifactKind = Artifact['kind'];

/** A stored artifact handed to a downstream step. Read-only. */
export interface InputArtifact {
  readonly kind: ArtifactKind;
  /** Content hash, `sha256:<hex>`. */
  readonly hash: string;
  /** Path of the stored object (for `dir`, a directory materialised read-only). */
  readonly path: string;
  json<T = unknown>(): Promise<T>;
  table(): Promise<Table>;
  bytes(): Promise<Uint8Array>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Engine-level tracking: MLflow (or the embedded store) receives what is recorded here. */
export interface Tracker {
  params(values: Record<string, unknown>): void;
  metric(name: string, value: number, step?: number): void;
  tag(name: string, value: string): void;
  /** A file or directory to attach to the step's run. */
  artifact(path: string, name?: string): void;
}

/**
 * The run a step executes in, for steps that report on it. Never part of the cache key:
 * a cached step's outputs keep describing the run that produced them.
 */
export interface RunInfo {
  /** Project-relative pipeline file. */
  readonly pipeline: string;
  readonly runId: string;
  /** ISO time the run started. */
  readonly startedAt: string;
  /** HEAD of the project's git checkout; empty outside one. */
  readonly git: { readonly commit?: string; readonly dirty?: boolean };
  /** Every step of the run in pipeline order, as things stood when this step started. */
  readonly steps: readonly RunStepInfo[];
}

export interface RunStepInfo {
  readonly id: string;
  /** Plugin name. */
  readonly uses: string;
  /** Resolved params (secrets never appear in params). */
  readonly params: Readonly<Record<string, unknown>>;
  /** `running`: this step and others running beside it; `pending`: not started (none of these is upstream). */
  readonly status: 'executed' | 'cached' | 'failed' | 'skipped' | 'running' | 'pending';
  /** For a cached step, the run that executed it. */
  readonly producedIn?: string;
}

export interface StepContext {
  readonly stepId: string;
  /** Relative paths in params resolve against this folder. */
  readonly projectRoot: string;
  /** An empty folder owned by this step for this execution; removed afterwards. */
  readonly scratchDir: string;
  /**
   * A folder owned by this step (pipeline + step id) that outlives runs, for a step that
   * acts on the outside world and must remember what it did across a crash (a
   * write-ahead log). Never part of the cache key; `gc` leaves it alone. Absent where the
   * engine does not provide it (e.g. a test calling `run` without one).
   */
  readonly stateDir?: string;
  /** Aborted on Ctrl-C, fail-fast, or when watch mode makes the run obsolete. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly track: Tracker;
  /** Values of the environment variables the step declared (`env:`); part of the cache key. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Secrets (API keys) from the environment or config/api_keys.yaml. Never hashed, logged or tracked. */
  secret(name: string): string | undefined;
  /** Progress for long steps: a fraction in [0, 1] and an optional message (e.g. "12k steps/s, ETA 40s"). */
  progress(fraction: number, message?: string): void;
  /** The run this step is part of; absent where the engine does not provide it (e.g. a test calling `run`). */
  readonly run?: RunInfo;
  /**
   * The model registry of the run's tracking target (an MLflow server's, or the project's filesystem one).
   * Absent when tracking is off: a version's source is its run's artifacts.
   */
  readonly registry?: StepModelRegistry;
}

/** A stored artifact as the registry publishes it (an InputArtifact fits). */
export interface StoredArtifact {
  readonly kind: string;
  readonly hash: string;
  readonly path: string;
}

/** What a step may do with the model registry: register versions, resolve and move aliases, read and set version tags. */
export interface StepModelRegistry
  extends Pick<
    ModelRegistry,
    'description' | 'getVersion' | 'getVersionByAlias' | 'findVersionByHash' | 'createVersion' | 'setVersionTag' | 'setAlias'
  > {
  /**
   * Attaches a stored artifact to the step's run, ships it now, and returns the artifact
   * URI the registry should use as the version's source. Throws when the target cannot
   * be reached within `timeoutMs` (default 120 s).
   */
  publishArtifact(artifact: StoredArtifact, artifactPath: string, timeoutMs?: number): Promise<{ source: string; runId: string }>;
  /** The latest value of each metric of a tracked run, or undefined when the target does not know the run. */
  runMetrics(runId: string): Promise<Record<string, number> | undefined>;
}

export interface PortSpec {
  description?: string;
  /** Inputs only: may be left unconnected. */
  optional?: boolean;
  /**
   * Inputs only: fan-in from a matrix step. The step then receives one input per
   * instance, keyed `port@key=value,...` (see `instancesOf`).
   */
  many?: boolean;
}

/** A problem a plugin finds in its params beyond what the JSON Schema expresses. */
export interface ParamIssue {
  /** JSON path inside the step's params, e.g. ['tech_indicator_list', 3]. */
  path: (string | number)[];
  message: string;
}

export interface Plugin<P = Record<string, unknown>> {
  readonly name: string;
  /** Bump when outputs would change for the same params and inputs. Part of the cache key. */
  readonly version: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12 subset understood by ajv) for `with:`. Defaults are applied. */
  readonly paramsSchema: Record<string, unknown>;
  readonly inputs: Readonly<Record<string, PortSpec>>;
  /** Output ports; a function when they depend on params. */
  readonly outputs: Readonly<Record<string, PortSpec>> | ((params: P) => Record<string, PortSpec>);
  /** Environment variables the outputs depend on; added to every step's `env:` (so to its key). */
  readonly env?: readonly string[];
  /**
   * Workspace files the step reads and writes, relative to the project root (DVC-style deps/outs),
   * and the folder it works in (`wdir`). Outs and `wdir` must stay inside the project (checked at
   * validation); deps may be anywhere.
   */
  files?(params: P): { deps?: string[]; outs?: string[]; wdir?: string };
  /**
   * True when outputs can change with unchanged params and inputs (e.g. a date range reaching today).
   * The engine then re-executes the step every run; early cutoff still spares identical outputs' dependents.
   */
  alwaysRun?(params: P): boolean;
  /**
   * CPU-bound (training, indicator panels, simulations): the engine runs the step in a worker thread
   * (a pool sized by `--jobs`), loading this module there by its path, so several such steps use
   * several cores and light steps on the main thread finish in their own time. A function decides
   * per params (e.g. only an agent's backtest). The context behaves the same in a worker.
   */
  readonly cpu?: boolean | ((params: P) => boolean);
  /**
   * The step uses the run's model registry (`ctx.registry`), which only the process that tracks
   * the run holds. On a Temporal cluster it therefore runs in the CLI process (on the run's own
   * task queue, which the CLI serves) rather than on a worker; locally this changes nothing.
   */
  readonly registry?: boolean;
  /** Semantic checks run at validation time, before anything executes. */
  check?(params: P): ParamIssue[];
  run(ctx: StepContext, params: P, inputs: Record<string, InputArtifact>): Promise<Record<string, Artifact>>;
}

export function definePlugin<P>(plugin: Plugin<P>): Plugin<P> {
  return plugin;
}

/** The instances a fan-in (`many`) input port received, by their matrix label (`lr=0.1,seed=1`). */
export function instancesOf(inputs: Record<string, InputArtifact>, port: string): Map<string, InputArtifact> {
  const out = new Map<string, InputArtifact>();
  for (const [key, value] of Object.entries(inputs)) if (key.startsWith(`${port}@`)) out.set(key.slice(port.length + 1), value);
  return out;
}
