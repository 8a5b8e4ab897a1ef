/**
 * FinRL's long price format: one row per (date, tic), sorted by date then tic,
 * columns date, tic, open, high, low, close, volume and `day` (weekday, 0 = Monday,
 * as FinRL's YahooDownloader adds; every source emits it so downstream steps see
 * one schema).
 */
import { table, type Table } from '../../engine/sdk.ts';
import { parseDay, weekday, type DateRange } from '../lib/ingest/dates.ts';

export interface PriceRow {
  date: string;
  tic: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export const PRICE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

function compareRows(a: PriceRow, b: PriceRow): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return a.tic < b.tic ? -1 : a.tic > b.tic ? 1 : 0;
}

/** Sorts (stable) and checks that no (date, tic) appears twice. */
export function pricesTable(rows: PriceRow[]): Table {
  const sorted = [...rows].sort(compareRows);
  for (let i = 1; i < sorted.length; i++) {
    if (compareRows(sorted[i - 1]!, sorted[i]!) === 0) {
      throw new Error(`duplicate row for (${sorted[i]!.date}, ${sorted[i]!.tic})`);
    }
  }
  const n = sorted.length;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const day = new Int32Array(n);
  const weekdays = new Map<string, number>();
  sorted.forEach((r, i) => {
    open[i] = r.open;
    high[i] = r.high;
    low[i] = r.low;
    close[i] = r.close;
    volume[i] = r.volume;
    let wd = weekdays.get(r.date);
    if (wd === undefined) weekdays.set(r.date, (wd = weekday(parseDay(r.date)!)));
    day[i] = wd;
  });
  return table({ date: sorted.map((r) => r.date), tic: sorted.map((r) => r.tic), open, high, low, close, volume, day });
}

/** Every requested ticker must have rows: a provider that silently returns nothing means a bad symbol. */
export function requireEveryTicker(rows: readonly PriceRow[], tickers: readonly string[], source: string, range: DateRange | undefined): void {
  const seen = new Set(rows.map((r) => r.tic));
  const missing = tickers.find((tic) => !seen.has(tic));
  if (missing !== undefined) {
    throw new Error(unknownTicker(missing, source, range ? `no rows between ${range.start} and ${range.end}` : 'no rows'));
  }
}

export function unknownTicker(tic: string, source: string, why: string): string {
  return `unknown ticker "${tic}" for source ${source}: ${why}`;
}
