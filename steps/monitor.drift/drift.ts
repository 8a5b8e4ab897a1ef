/**
 * Data drift between a reference and a current table as Evidently 0.7's DataDriftPreset
 * decides it: each column's type as Evidently infers it, the stattest its `auto` rule picks
 * (or the one asked for), the column verdicts, and the dataset verdict from the share of
 * drifted columns. Pure: tables in, a report out.
 */
import type { Column, Table } from '../../engine/sdk.ts';
import { STATTESTS, type ColumnKind, type Method, type Sample } from './stattests.ts';

/** Evidently's INTEGER_CARDINALITY_LIMIT: integer columns with at most this many values are categorical. */
const INTEGER_CATEGORICAL_LIMIT = 10;
/** Above this many reference values, `auto` switches from tests to distances. */
const SMALL_REFERENCE = 1000;

export interface ColumnOptions {
  method?: Method | 'auto';
  threshold?: number;
}

export interface DriftOptions {
  /** Columns to compare; undefined: every numerical and categorical column but `exclude`. */
  columns?: readonly string[];
  exclude: readonly string[];
  categorical: readonly string[];
  method: Method | 'auto';
  threshold?: number;
  perColumn: Readonly<Record<string, ColumnOptions>>;
  driftShare: number;
}

export interface ColumnDrift {
  column: string;
  /** Evidently's column type: `num` (numerical) or `cat` (categorical). */
  type: ColumnKind;
  method: Method;
  method_name: string;
  /** `p_value`: drift when the score is below the threshold; `distance`: at or above it. */
  score_kind: 'p_value' | 'distance';
  score: number;
  threshold: number;
  drifted: boolean;
  reference_values: number;
  current_values: number;
}

export interface DatasetDrift {
  reference_rows: number;
  current_rows: number;
  columns: ColumnDrift[];
  drifted_columns: number;
  share: number;
  drift_share: number;
  dataset_drift: boolean;
}

export interface SkippedColumn {
  column: string;
  reason: string;
}

/** A problem with the data or the params, naming the column. */
export class DriftInputError extends Error {}

function isNumeric(column: Column): column is Float64Array | Int32Array {
  return !Array.isArray(column);
}

/** A column's values with NaN, infinities and nulls dropped (Evidently's replace-inf-then-dropna), numbers sorted. */
function sampleOf(column: Column): Sample {
  if (column instanceof Float64Array) return { kind: 'number', values: column.filter(Number.isFinite).sort(), integer: false };
  if (column instanceof Int32Array) return { kind: 'number', values: Float64Array.from(column).sort(), integer: true };
  return { kind: 'string', values: column.filter((v): v is string => v !== null) };
}

function distinct(column: Column): number {
  const values = new Set<unknown>();
  for (const v of column) if (v !== null && !(typeof v === 'number' && !Number.isFinite(v))) values.add(v);
  return values.size;
}

/**
 * Evidently's infer_column_type, on the current data as its data definition does: floats
 * are numerical; integers categorical up to 10 distinct values; text columns categorical
 * unless more than half their values are distinct (Evidently's Text, which it compares
 * with a trained classifier we do not reproduce); a column with no values has no type.
 */
function inferType(column: Column): ColumnKind | 'text' | 'empty' {
  if (column instanceof Float64Array) return 'num';
  if (column instanceof Int32Array) return distinct(column) <= INTEGER_CATEGORICAL_LIMIT ? 'cat' : 'num';
  const present = column.filter((v) => v !== null).length;
  if (present === 0) return 'empty';
  return distinct(column) > present * 0.5 ? 'text' : 'cat';
}

/** Evidently's _get_default_stattest. */
function autoMethod(reference: Sample, current: Sample, kind: ColumnKind): Method {
  const values = new Set<string | number>(reference.values);
  for (const v of current.values) values.add(v);
  const n = values.size;
  if (reference.values.length <= SMALL_REFERENCE) {
    if (kind === 'num' && n > 5) return 'ks';
    return n > 2 ? 'chisquare' : 'z';
  }
  return kind === 'num' && n > 5 ? 'wasserstein' : 'jensenshannon';
}

export interface ColumnPlan {
  column: string;
  kind: ColumnKind;
}

/** Which columns to compare and as what, with the reasons others are left out. */
export function planColumns(reference: Table, current: Table, options: DriftOptions): { columns: ColumnPlan[]; skipped: SkippedColumn[] } {
  const columns: ColumnPlan[] = [];
  const skipped: SkippedColumn[] = [];
  const categorical = new Set(options.categorical);
  const explicit = options.columns !== undefined;
  const names = options.columns ?? current.names.filter((name) => !options.exclude.includes(name));
  for (const name of names) {
    if (!Object.hasOwn(current.columns, name)) throw new DriftInputError(`column \`${name}\` is not in the current table (columns: ${current.names.join(', ')})`);
    if (!Object.hasOwn(reference.columns, name)) throw new DriftInputError(`column \`${name}\` is not in the reference table (columns: ${reference.names.join(', ')})`);
    const column = current.columns[name]!;
    if (isNumeric(column) !== isNumeric(reference.columns[name]!)) {
      throw new DriftInputError(`column \`${name}\` holds numbers on one side and text on the other`);
    }
    if (categorical.has(name)) {
      columns.push({ column: name, kind: 'cat' });
      continue;
    }
    const type = inferType(column);
    if (type === 'num' || type === 'cat') columns.push({ column: name, kind: type });
    else {
      const reason =
        type === 'text'
          ? 'text: more than half its current values are distinct (Evidently compares text with a trained classifier, not reproduced here); list it in `categorical` to compare its values'
          : 'no values in the current table';
      if (explicit) throw new DriftInputError(`column \`${name}\`: ${reason}`);
      skipped.push({ column: name, reason });
    }
  }
  return { columns, skipped };
}

/** One comparison (the whole tables, or one group of rows). */
export function datasetDrift(reference: Table, current: Table, plan: readonly ColumnPlan[], options: DriftOptions, where = ''): DatasetDrift {
  const columns = plan.map(({ column, kind }): ColumnDrift => {
    const ref = sampleOf(reference.columns[column]!);
    if (ref.values.length === 0) throw new DriftInputError(`column \`${column}\` has no values in the reference table${where}`);
    const cur = sampleOf(current.columns[column]!);
    if (cur.values.length === 0) throw new DriftInputError(`column \`${column}\` has no values in the current table${where}`);
    const asked = options.perColumn[column]?.method ?? options.method;
    const method = asked === 'auto' ? autoMethod(ref, cur, kind) : asked;
    const test = STATTESTS[method];
    if (asked !== 'auto' && !test.kinds.includes(kind)) {
      throw new DriftInputError(`column \`${column}\` is ${kind === 'num' ? 'numerical' : 'categorical'}: method \`${method}\` applies to ${test.kinds.map((k) => (k === 'num' ? 'numerical' : 'categorical')).join(' and ')} columns only`);
    }
    const threshold = options.perColumn[column]?.threshold ?? options.threshold ?? test.defaultThreshold;
    const { score, drifted } = test.run(ref, cur, kind, threshold);
    return {
      column,
      type: kind,
      method,
      method_name: test.displayName,
      score_kind: test.score,
      score,
      threshold,
      drifted,
      reference_values: ref.values.length,
      current_values: cur.values.length,
    };
  });
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length === 0 ? 0 : drifted / columns.length;
  return {
    reference_rows: reference.rows,
    current_rows: current.rows,
    columns,
    drifted_columns: drifted,
    share,
    drift_share: options.driftShare,
    dataset_drift: columns.length > 0 && share >= options.driftShare,
  };
}
