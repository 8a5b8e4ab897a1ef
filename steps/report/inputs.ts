/**
 * Reads the report's input artifacts into plain series, with one clear message naming
 * the port and the column when a table is not what the report needs.
 */
import type { Column, Table } from '../../engine/sdk.ts';

export interface AccountSeries {
  /** Trading days, `YYYY-MM-DD`. */
  dates: string[];
  values: Float64Array;
}

export interface Positions {
  tickers: string[];
  /** shares[i][d] for tickers[i] on date d. */
  shares: Float64Array[];
}

export interface TrainingCurve {
  /** The column used as x, e.g. `total_timesteps`. */
  x: string;
  xs: Float64Array;
  metrics: { name: string; values: Float64Array }[];
  /** Numeric columns with no value at all, left out of the charts. */
  empty: string[];
}

/** Stat name -> value, null where the value is missing (NaN, as pandas writes JSON). */
export type StatsValues = Record<string, number | null>;

const DAY = /^\d{4}-\d{2}-\d{2}/;

/** X columns a training curve may use, in order of preference. */
const CURVE_X = ['timesteps', 'total_timesteps', 'timestep', 'step'];

/** The account value per date of a backtest trajectory (`date`, `account_value`). */
export function accountSeries(t: Table, port: string): AccountSeries {
  const date = t.columns.date;
  if (!Array.isArray(date)) throw new Error(`input \`${port}\`: expected a string column \`date\`, ${found(t, 'date')}`);
  const values = numeric(t, 'account_value', port);
  if (t.rows < 2) throw new Error(`input \`${port}\`: expected at least 2 rows, found ${t.rows}`);
  const dates = date.map((d, row) => {
    if (d === null || !DAY.test(d)) throw new Error(`input \`${port}\`: row ${row + 1}: expected a date YYYY-MM-DD in \`date\`, found ${JSON.stringify(d)}`);
    return d.slice(0, 10);
  });
  for (let row = 0; row < t.rows; row++) {
    if (!(values[row]! > 0)) throw new Error(`input \`${port}\`: row ${row + 1} (${dates[row]}): expected a positive \`account_value\`, found ${values[row]}`);
    if (row > 0 && dates[row]! <= dates[row - 1]!) throw new Error(`input \`${port}\`: row ${row + 1}: dates must increase, ${dates[row]} follows ${dates[row - 1]}`);
  }
  return { dates, values };
}

/** The `shares_<tic>` columns of a trajectory, in table order. */
export function positions(t: Table, port: string): Positions {
  const names = t.names.filter((n) => n.startsWith('shares_'));
  return { tickers: names.map((n) => n.slice('shares_'.length)), shares: names.map((n) => numeric(t, n, port)) };
}

/** Every numeric column of a training curve against its timestep column; all-NaN columns are left out. */
export function trainingCurve(t: Table, port: string): TrainingCurve {
  const x = CURVE_X.find((name) => t.names.includes(name));
  if (x === undefined) throw new Error(`input \`${port}\`: expected a timestep column (one of ${CURVE_X.map((n) => `\`${n}\``).join(', ')}), found columns ${t.names.join(', ')}`);
  const columns = t.names.filter((name) => name !== x && !Array.isArray(t.columns[name])).map((name) => ({ name, values: numeric(t, name, port) }));
  const hasValues = (m: { values: Float64Array }) => m.values.some((v) => Number.isFinite(v));
  return { x, xs: numeric(t, x, port), metrics: columns.filter(hasValues), empty: columns.filter((m) => !hasValues(m)).map((m) => m.name) };
}

/** A stats JSON object: every value a number or null. */
export function statsValues(value: unknown, port: string): StatsValues {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`input \`${port}\`: expected a JSON object of stat name -> number, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  const out: StatsValues = {};
  for (const [name, v] of Object.entries(value)) {
    if (v !== null && typeof v !== 'number') throw new Error(`input \`${port}\`: stat \`${name}\`: expected a number or null, found ${JSON.stringify(v)}`);
    out[name] = v;
  }
  return out;
}

function numeric(t: Table, name: string, port: string): Float64Array {
  const column: Column | undefined = t.columns[name];
  if (column === undefined || Array.isArray(column)) throw new Error(`input \`${port}\`: expected a numeric column \`${name}\`, ${found(t, name)}`);
  return column instanceof Float64Array ? column : Float64Array.from(column);
}

function found(t: Table, name: string): string {
  return t.columns[name] === undefined ? `found columns ${t.names.join(', ')}` : `found a column of ${Array.isArray(t.columns[name]) ? 'strings' : 'numbers'}`;
}
