/**
 * `backtest.stats`: pyfolio's perf_stats of an account value table, the numbers FinRL's
 * `backtest_stats(account_value)` prints, for any trajectory (ours or imported).
 */
import { definePlugin } from '../../engine/sdk.ts';
import { dailyReturns, perfStats, statsToJson, PERF_STAT_NAMES } from '../lib/perf-stats/perf-stats.ts';
import type { BacktestStatsParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<BacktestStatsParams>({
  name: 'backtest.stats',
  version: '1',
  description: "pyfolio perf_stats (FinRL's backtest_stats) of an account value series.",
  paramsSchema: schema,
  inputs: {
    table: { description: 'Rows in date order with a `date` column and the account value column.' },
  },
  outputs: {
    stats: { description: 'Annual return, Cumulative returns, ..., Daily value at risk; null where pyfolio gives NaN.' },
  },
  async run(ctx, params, inputs) {
    const t = await inputs.table!.table();
    const name = params.value_column ?? 'account_value';
    const values = t.columns[name];
    if (values === undefined || Array.isArray(values)) {
      throw new Error(`table needs a numeric \`${name}\` column (columns: ${t.names.join(', ')})`);
    }
    const dates = t.columns.date;
    if (Array.isArray(dates)) {
      for (let row = 1; row < t.rows; row++) {
        if (!(dates[row - 1]! < dates[row]!)) throw new Error(`table must be in date order: row ${row + 1} has date ${dates[row]} after ${dates[row - 1]}`);
      }
    }
    const stats = perfStats(dailyReturns(values));
    for (const stat of PERF_STAT_NAMES) if (Number.isFinite(stats[stat])) ctx.track.metric(stat, stats[stat]);
    return { stats: { kind: 'json', value: statsToJson(stats) } };
  },
});
