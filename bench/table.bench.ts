/**
 * Table codecs on a FinRL-sized panel: 30 tickers x 2,520 trading days (10 years),
 * date, tic, OHLCV and 10 float features = 75,600 rows x 17 columns.
 */
import { execFileSync } from 'node:child_process';
import { orderedTable, type Column, type Table } from '../engine/table/table.ts';
import { fromParquet, toParquet } from '../engine/table/parquet.ts';
import { parseCsv, toCsv } from '../engine/table/csv.ts';
import type { BenchRow } from './harness.ts';

const TICKERS = 30;
const DAYS = 2520;

/** Deterministic panel: geometric random walks per ticker (mulberry32 noise). */
function panel(): Table {
  let seed = 7;
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const rows = TICKERS * DAYS;
  const date = new Array<string | null>(rows);
  const tic = new Array<string | null>(rows);
  const numeric = ['open', 'high', 'low', 'close', 'volume', ...Array.from({ length: 10 }, (_, k) => `feature_${k}`)];
  const values: Record<string, Float64Array> = {};
  for (const name of numeric) values[name] = new Float64Array(rows);
  const last = Array.from({ length: TICKERS }, () => 50 + 100 * uniform());
  const day = new Date(Date.UTC(2010, 0, 4));
  for (let d = 0; d < DAYS; d++) {
    const iso = day.toISOString().slice(0, 10);
    for (let k = 0; k < TICKERS; k++) {
      const i = d * TICKERS + k;
      const open = last[k]!;
      const close = open * (1 + (uniform() - 0.5) * 0.04);
      last[k] = close;
      date[i] = iso;
      tic[i] = `T${String(k).padStart(2, '0')}`;
      values.open![i] = open;
      values.close![i] = close;
      values.high![i] = Math.max(open, close) * (1 + 0.01 * uniform());
      values.low![i] = Math.min(open, close) * (1 - 0.01 * uniform());
      values.volume![i] = Math.round(1e6 + 9e6 * uniform());
      for (let f = 0; f < 10; f++) values[`feature_${f}`]![i] = (uniform() - 0.5) * 10 ** (f % 4);
    }
    day.setUTCDate(day.getUTCDate() + (day.getUTCDay() === 5 ? 3 : 1));
  }
  const columns: Record<string, Column> = { date, tic, ...values };
  return orderedTable(['date', 'tic', ...numeric], columns);
}

function medianMs<T>(runs: number, f: () => T): { ms: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: Math.round(times[runs >> 1]! * 10) / 10, result };
}

/** What the first table operation of a CLI process pays: requiring Arrow and compiling parquet-wasm. */
function libraryLoadMs(): number {
  const script = `const s = performance.now(); require('apache-arrow'); require('parquet-wasm'); process.stdout.write(String(performance.now() - s));`;
  const runs = Array.from({ length: 3 }, () => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  return Math.round(runs.sort((a, b) => a - b)[1]!);
}

export default async function bench(): Promise<BenchRow[]> {
  const t = panel();
  const label = `${TICKERS} tickers x ${DAYS} days, ${t.names.length} columns`;
  toParquet(t); // load the libraries before timing
  const write = medianMs(7, () => toParquet(t));
  const read = medianMs(7, () => fromParquet(write.result));
  const text = toCsv(t);
  const csvWrite = medianMs(5, () => toCsv(t));
  const csvParse = medianMs(5, () => parseCsv(text, { file: 'bench.csv' }));
  const row = (name: string, value: number, unit: string, target: string, limit: number): BenchRow => ({
    bench: 'table',
    case: `${name}, ${label}`,
    value,
    unit,
    target: `< ${target}`,
    ok: value < limit,
  });
  return [
    row('Parquet write (toParquet)', write.ms, 'ms', '250 ms', 250),
    row('Parquet read (fromParquet)', read.ms, 'ms', '150 ms', 150),
    row('Parquet file size', Math.round((write.result.byteLength / 2 ** 20) * 100) / 100, 'MiB', '10 MiB', 10),
    row('CSV parse (parseCsv, inferred types)', csvParse.ms, 'ms', '1500 ms', 1500),
    row('CSV write (toCsv)', csvWrite.ms, 'ms', '500 ms', 500),
    row('CSV file size', Math.round((Buffer.byteLength(text) / 2 ** 20) * 100) / 100, 'MiB', '25 MiB', 25),
    { ...row('Arrow + parquet-wasm load, first use', libraryLoadMs(), 'ms', '250 ms', 250), case: 'Arrow + parquet-wasm load, first use in a process' },
  ];
}
