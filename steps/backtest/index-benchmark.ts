/**
 * FinRL's index baseline (`get_baseline('^DJI')` in its tutorials): the account follows
 * the benchmark's close, `close / close[first] * initial_amount`, with no trades, costs
 * or cash. Not run through the environment: the index is a yardstick, not a holding.
 */
import type { Table } from '../../engine/sdk.ts';
import type { EnvConfig } from '../lib/trading-env/index.ts';
import { emptyTrajectory, type Trajectory } from './trajectory.ts';

/** The benchmark's close on each of `dates`, from a long-format table with `date, tic, close`. */
export function benchmarkCloses(source: Table, sourceName: string, ticker: string, dates: readonly string[]): Float64Array {
  const date = source.columns.date;
  const tic = source.columns.tic;
  const close = source.columns.close;
  if (!Array.isArray(date) || !Array.isArray(tic) || close === undefined || Array.isArray(close)) {
    throw new Error(`${sourceName} table needs \`date\` and \`tic\` string columns and a numeric \`close\` (columns: ${source.names.join(', ')})`);
  }
  const byDate = new Map<string, number>();
  for (let row = 0; row < source.rows; row++) if (tic[row] === ticker) byDate.set(date[row]!, close[row]!);
  if (byDate.size === 0) throw new Error(`index ticker \`${ticker}\` has no rows in the ${sourceName} table`);
  return Float64Array.from(dates, (d) => {
    const value = byDate.get(d);
    if (value === undefined || !(value > 0)) throw new Error(`index ticker \`${ticker}\` has no positive close on ${d} in the ${sourceName} table`);
    return value;
  });
}

export function indexTrajectory(dates: readonly string[], tickers: readonly string[], closes: Float64Array, config: EnvConfig): Trajectory {
  const out = emptyTrajectory(dates, tickers);
  const T = dates.length;
  for (let d = 0; d < T; d++) out.accountValue[d] = (closes[d]! / closes[0]!) * config.initial_amount;
  // Reward of the step taken on date d, the last one repeated as the env's terminal step does.
  for (let d = 0; d < T - 1; d++) out.reward[d] = (out.accountValue[d + 1]! - out.accountValue[d]!) * config.reward_scaling;
  if (T > 1) out.reward[T - 1] = out.reward[T - 2]!;
  return out;
}
