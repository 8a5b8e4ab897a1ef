/**
 * The report for FinRL's DOW-30 setup: 30 tickers over 1,260 trading days (5 years), the
 * agent against 3 baselines, and a 500-row training curve of 12 metrics. The first render
 * includes importing ECharts.
 */
import { table, type Column, type Table } from '../engine/table/table.ts';
import { renderReport } from '../steps/report/render.ts';
import type { BenchRow } from './harness.ts';

const TICKERS = 30;
const DAYS = 1260;

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function dates(): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2016, 0, 4); out.length < DAYS; t += 86_400_000) {
    const day = new Date(t);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) out.push(day.toISOString().slice(0, 10));
  }
  return out;
}

function trajectory(seed: number, withShares: boolean): Table {
  const r = rand(seed);
  const value = new Float64Array(DAYS);
  value[0] = 1_000_000;
  for (let d = 1; d < DAYS; d++) value[d] = value[d - 1]! * (1 + (r() - 0.49) * 0.03);
  const columns: Record<string, Column> = { date: dates(), account_value: value };
  if (withShares) for (let i = 0; i < TICKERS; i++) columns[`shares_T${i}`] = Float64Array.from({ length: DAYS }, (_, d) => Math.floor(d / 20) * 10 + Math.floor(r() * 3));
  return table(columns);
}

function curve(): Table {
  const r = rand(3);
  const columns: Record<string, Column> = { total_timesteps: Float64Array.from({ length: 500 }, (_, i) => (i + 1) * 2048) };
  for (let m = 0; m < 12; m++) columns[`metric_${m}`] = Float64Array.from({ length: 500 }, () => r());
  return table(columns);
}

export default async (): Promise<BenchRow[]> => {
  const inputs = {
    series: [
      { key: 'agent' as const, trajectory: trajectory(1, true) },
      { key: 'buy_and_hold' as const, trajectory: trajectory(2, false) },
      { key: 'index' as const, trajectory: trajectory(3, false) },
      { key: 'min_variance' as const, trajectory: trajectory(4, false) },
    ],
    curve: curve(),
  };
  const render = () => renderReport(inputs, { labels: {}, rollingWindow: 63 }, { title: 'bench', stepId: 'report', params: {}, inputs: {} });
  let t0 = performance.now();
  const page = await render();
  const first = performance.now() - t0;
  const runs = 5;
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await render();
  const warm = (performance.now() - t0) / runs;
  const size = Buffer.byteLength(page) / 1024;
  return [
    { bench: 'report', case: 'first render incl. ECharts import, 30 tickers x 1,260 days, 4 series, 12 curve metrics', value: Math.round(first), unit: 'ms', target: '< 5000 ms', ok: first < 5000 },
    { bench: 'report', case: 'render, same report, ECharts loaded', value: Math.round(warm), unit: 'ms', target: '< 1500 ms', ok: warm < 1500 },
    { bench: 'report', case: 'HTML size, same report', value: Math.round(size), unit: 'KiB', target: '< 2048 KiB', ok: size < 2048 },
  ];
};
