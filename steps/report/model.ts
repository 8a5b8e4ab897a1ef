/**
 * What the report shows, computed from its inputs: one entry per series (the agent and
 * each connected baseline) with its drawdown, rolling Sharpe and stats, the agent's
 * positions and the training curve. No HTML here.
 */
import type { Table } from '../../engine/sdk.ts';
import { dailyReturns, perfStats, statsToJson, PERF_STAT_NAMES } from '../lib/perf-stats/perf-stats.ts';
import { accountSeries, positions, statsValues, trainingCurve, type Positions, type StatsValues, type TrainingCurve } from './inputs.ts';
import { drawdown, rollingSharpe } from './series.ts';

/** The agent and the baselines, each with its pair of input ports, in the order the report shows them. */
export const SERIES = [
  { key: 'agent', trajectory: 'trajectory', stats: 'stats', label: 'Agent', color: '#2563eb' },
  { key: 'buy_and_hold', trajectory: 'buy_and_hold_trajectory', stats: 'buy_and_hold_stats', label: 'Buy and hold', color: '#d97706' },
  { key: 'index', trajectory: 'index_trajectory', stats: 'index_stats', label: 'Index', color: '#6b7280' },
  { key: 'min_variance', trajectory: 'min_variance_trajectory', stats: 'min_variance_stats', label: 'Min variance', color: '#059669' },
] as const;

export type SeriesKey = (typeof SERIES)[number]['key'];

export interface SeriesInput {
  key: SeriesKey;
  trajectory?: Table;
  /** The stats JSON as read from the input; computed from the trajectory when absent. */
  stats?: unknown;
}

export interface ReportInputs {
  /** The agent first; baselines that are not connected are left out. */
  series: SeriesInput[];
  curve?: Table;
}

export interface ReportOptions {
  labels: Partial<Record<SeriesKey, string>>;
  rollingWindow: number;
}

export interface SeriesModel {
  key: SeriesKey;
  label: string;
  color: string;
  dates: string[];
  values: Float64Array;
  drawdown: Float64Array;
  rollingSharpe: Float64Array;
}

export interface StatsColumn {
  key: SeriesKey;
  label: string;
  values: StatsValues;
  /** True when the stats came from a stats input, false when computed here from the trajectory. */
  given: boolean;
}

export interface ReportModel {
  series: SeriesModel[];
  stats: { names: string[]; columns: StatsColumn[] };
  positions: Positions;
  curve?: TrainingCurve;
  rollingWindow: number;
}

export function reportModel(inputs: ReportInputs, options: ReportOptions): ReportModel {
  const series: SeriesModel[] = [];
  const columns: StatsColumn[] = [];
  let agentPositions: Positions = { tickers: [], shares: [] };
  for (const input of inputs.series) {
    const spec = SERIES.find((s) => s.key === input.key)!;
    const label = options.labels[input.key] ?? spec.label;
    let computed: StatsValues | undefined;
    if (input.trajectory) {
      const { dates, values } = accountSeries(input.trajectory, spec.trajectory);
      const returns = dailyReturns(values);
      series.push({ key: input.key, label, color: spec.color, dates, values, drawdown: drawdown(values), rollingSharpe: rollingSharpe(returns, options.rollingWindow) });
      computed = statsToJson(perfStats(returns));
      if (input.key === 'agent') agentPositions = positions(input.trajectory, spec.trajectory);
    }
    if (input.stats !== undefined) columns.push({ key: input.key, label, values: statsValues(input.stats, spec.stats), given: true });
    else if (computed) columns.push({ key: input.key, label, values: computed, given: false });
  }
  return {
    series,
    stats: { names: statNames(columns), columns },
    positions: agentPositions,
    curve: inputs.curve ? trainingCurve(inputs.curve, 'curve') : undefined,
    rollingWindow: options.rollingWindow,
  };
}

/** pyfolio's stats in its order, then any other stat a stats input holds, in order of appearance. */
function statNames(columns: readonly StatsColumn[]): string[] {
  const names: string[] = [...PERF_STAT_NAMES];
  for (const column of columns) for (const name of Object.keys(column.values)) if (!names.includes(name)) names.push(name);
  return names;
}
