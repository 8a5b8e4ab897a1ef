/**
 * monitor.drift on FinRL's DOW-30 shape: a 3-year reference (30 tickers x 756 days) against
 * the latest quarter (30 x 63 days), 10 numeric columns, overall and per ticker (30 groups:
 * K-S per ticker, Wasserstein overall). On the same shapes Evidently 0.7.23's DataDriftPreset
 * took 2,667 ms overall and 37,070 ms per ticker (one Report per group), measured once on the
 * shared 2-core development machine (Python 3.11, pandas 2.3.3).
 */
import { table, type Column, type Table } from '../engine/table/table.ts';
import { datasetDrift, planColumns, type DriftOptions } from '../steps/monitor.drift/drift.ts';
import { splitByGroup } from '../steps/monitor.drift/groups.ts';
import type { BenchRow } from './harness.ts';

const TICKERS = 30;
const COLUMNS = 10;

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function panel(days: number, seed: number, shift: number): Table {
  const r = rand(seed);
  const rows = days * TICKERS;
  const columns: Record<string, Column> = { tic: Array.from({ length: rows }, (_, i) => `T${i % TICKERS}`) };
  for (let c = 0; c < COLUMNS; c++) columns[`f${c}`] = Float64Array.from({ length: rows }, () => r() + (c % 2 ? shift : 0));
  return table(columns);
}

const OPTIONS: DriftOptions = { exclude: ['date', 'tic'], categorical: [], method: 'auto', perColumn: {}, driftShare: 0.5 };

export default async (): Promise<BenchRow[]> => {
  const reference = panel(756, 1, 0);
  const current = panel(63, 2, 0.1);
  const { columns } = planColumns(reference, current, OPTIONS);
  const time = (f: () => void): number => {
    f();
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) f();
    return (performance.now() - t0) / 5;
  };
  const overall = time(() => datasetDrift(reference, current, columns, OPTIONS));
  const grouped = time(() => {
    for (const g of splitByGroup(reference, current, 'tic').groups) datasetDrift(g.reference, g.current, columns, OPTIONS);
  });
  return [
    { bench: 'monitor', case: 'drift, 22,680 vs 1,890 rows x 10 columns, overall (Evidently 2,667 ms)', value: Math.round(overall), unit: 'ms', target: '< 250 ms', ok: overall < 250 },
    { bench: 'monitor', case: 'drift, same tables, per ticker (30 groups; Evidently 37,070 ms)', value: Math.round(grouped), unit: 'ms', target: '< 600 ms', ok: grouped < 600 },
  ];
};
