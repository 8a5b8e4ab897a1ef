/**
 * StockTradingEnv throughput: 30 tickers, 8 indicators (FinRL's DOW-30 setup), random
 * actions in [-1, 1], episodes of 2,000 days. FinRL's pandas env runs 948 steps/s here.
 */
import { table } from '../engine/table/table.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../steps/lib/trading-env/index.ts';
import type { BenchRow } from './harness.ts';

const TICKERS = 30;
const DAYS = 2000;
const INDICATORS = ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'];

function syntheticFeatures(seed: number) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rows = TICKERS * DAYS;
  const date: string[] = [];
  const tic: string[] = [];
  const close = new Float64Array(rows);
  const price = Float64Array.from({ length: TICKERS }, () => 20 + 200 * rand());
  for (let d = 0; d < DAYS; d++) {
    for (let i = 0; i < TICKERS; i++) {
      price[i] = price[i]! * (1 + (rand() - 0.5) * 0.04);
      date.push(`d${String(d).padStart(5, '0')}`);
      tic.push(`T${String(i).padStart(2, '0')}`);
      close[d * TICKERS + i] = price[i]!;
    }
  }
  const columns: Record<string, Float64Array | string[]> = { date, tic, close };
  for (const name of INDICATORS) columns[name] = Float64Array.from({ length: rows }, () => rand() * 100 - 50);
  columns.turbulence = Float64Array.from({ length: rows }, () => rand() * 200);
  return table(columns);
}

export default async (): Promise<BenchRow[]> => {
  const config = parseEnvConfig({ tech_indicator_list: INDICATORS, turbulence_threshold: 180 });
  const market = marketFromTable(syntheticFeatures(7), { indicators: INDICATORS, riskColumn: 'turbulence' });
  const env = new StockTradingEnv(market, config);
  let s = 12345;
  const actions = Array.from({ length: 64 }, () =>
    Float64Array.from({ length: TICKERS }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 31) - 1),
  );
  const run = (steps: number) => {
    env.reset();
    for (let n = 0; n < steps; n++) {
      if (env.step(actions[n & 63]!).terminal) env.reset();
    }
  };
  run(50_000); // warm-up: let V8 optimise step()
  const steps = 1_000_000;
  const start = process.hrtime.bigint();
  run(steps);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = Math.round(steps / seconds);
  return [
    { bench: 'env', case: 'StockTradingEnv steps/s, 30 tickers x 8 indicators', value: rate, unit: 'steps/s', target: '>= 100000', ok: rate >= 100_000 },
  ];
};
