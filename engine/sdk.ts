/**
 * The plugin SDK: the only module files under `steps/` import from the engine
 * (published as `tradepipe/sdk`). Everything here is a stable contract; whatever is
 * not exported here is an engine internal a plugin must not reach.
 *
 * Heavy format libraries (Parquet, Arrow, CSV) load on first use, so importing the
 * SDK costs a plugin nothing at start-up.
 */
import type { Table } from './table/table.ts';

export type {
  Artifact,
  ArtifactKind,
  InputArtifact,
  Logger,
  ParamIssue,
  Plugin,
  PortSpec,
  RunInfo,
  RunStepInfo,
  StepContext,
  StepModelRegistry,
  StoredArtifact,
  Tracker,
} from './plugin.ts';
export { definePlugin, instancesOf } from './plugin.ts';

// Tables: the columnar value that moves between steps.
export type { Column, ColumnType, Table } from './table/table.ts';
export { columnType, orderedTable, table } from './table/table.ts';
export type { JsonRow } from './table/rows.ts';
export { column, intColumn, numberColumn, selectRows, sortBy, stringColumn, toJsonRows } from './table/rows.ts';
export type { ParseCsvOptions } from './table/csv.ts';

/** Parses CSV text into a table; errors name `options.file` and the line. */
export async function parseCsv(text: string, options: import('./table/csv.ts').ParseCsvOptions): Promise<Table> {
  return (await import('./table/csv.ts')).parseCsv(text, options);
}

/** The 1-based line of record `index` in CSV `text`, for messages. */
export async function csvRecordLine(text: string, index: number): Promise<number> {
  return (await import('./table/csv.ts')).csvRecordLine(text, index);
}

export async function toCsv(t: Table): Promise<string> {
  return (await import('./table/csv.ts')).toCsv(t);
}

/** The CSV codec itself, loaded on first use, for callers that parse synchronously once it is loaded. */
export function csvCodec(): Promise<typeof import('./table/csv.ts')> {
  return import('./table/csv.ts');
}

/** The Parquet codec itself, loaded on first use (see `csvCodec`). */
export function parquetCodec(): Promise<typeof import('./table/parquet.ts')> {
  return import('./table/parquet.ts');
}

export async function readParquet(bytes: Uint8Array): Promise<Table> {
  return (await import('./table/parquet.ts')).fromParquet(bytes);
}

/** The same table always gives the same bytes. */
export async function writeParquet(t: Table): Promise<Uint8Array> {
  return (await import('./table/parquet.ts')).toParquet(t);
}

// Files. A plugin writing into the project resolves the path with `confinedPath` right before the write.
export { writeFileAtomic } from './atomic.ts';
// Paths in params that a step reads: absolute or project-relative (writes are confined, below).
export { resolveInputPath } from './paths.ts';
export type { WriteTarget } from './confine.ts';
export { confinedPath, confinementProblem, OutsideProject, OUTSIDE_PROJECT } from './confine.ts';
export { WriteFailed, NO_SPACE, READ_ONLY } from './write-errors.ts';

// Validation of plugin-owned YAML/JSON configs, with positions and "did you mean".
export type { Diagnostic } from './errors.ts';
export { InvalidInput } from './errors.ts';
// `validateAt` is the earlier name of `validateFillingDefaults`, kept for plugins written against it.
export { suggestion, validateFillingDefaults, validateFillingDefaults as validateAt } from './schema/validate.ts';
export type { Path as YamlPath } from './yaml-source.ts';
export { Positions, yamlLoader } from './yaml-source.ts';

// Formatting shared with the engine's own messages.
export { formatDuration } from './format.ts';

// The model registry's vocabulary (see `StepContext.registry`).
export type { ModelVersion, NewVersion } from './tracking/registry/types.ts';
export { aliasProblem, VERSION_TAG } from './tracking/registry/types.ts';

// Metrics: a tracked metric key carrying Prometheus labels (see engine/metrics/labels.ts).
export { labelledMetric } from './metrics/labels.ts';
