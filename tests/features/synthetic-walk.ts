/**
 * A seeded random-walk price table that tests/fixtures/features/generate.py builds identically
 * (a 32-bit LCG and only +, -, *, /, floor, min, max on doubles, in the same order), so Python
 * goldens can be computed for tables too large to ship. Used by the tests and by the bench.
 */
import { table, type Table } from '../../engine/table/table.ts';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** `count` weekdays from `start` (pandas `bdate_range(start, periods=count)`). */
export function businessDays(start: string, count: number): string[] {
  const out: string[] = [];
  const day = new Date(`${start}T00:00:00Z`);
  while (out.length < count) {
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6) out.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return out;
}

export function syntheticWalk(tickers: readonly string[], days: number, seed: number, start = '2015-01-02'): Table {
  const rnd = lcg(seed);
  const dates = businessDays(start, days);
  const prev = tickers.map((_, k) => 20.0 + 10.0 * k);
  const rows = days * tickers.length;
  const date: string[] = [];
  const tic: string[] = [];
  const open = new Float64Array(rows);
  const high = new Float64Array(rows);
  const low = new Float64Array(rows);
  const close = new Float64Array(rows);
  const volume = new Float64Array(rows);
  let r = 0;
  dates.forEach((d, di) => {
    const market = rnd() - 0.5;
    tickers.forEach((t, k) => {
      const noise = rnd() - 0.5;
      const ret = 0.02 * market + 0.03 * noise + 0.0002;
      const o = prev[k]!;
      const c = di === 0 ? o : o * (1.0 + ret);
      date.push(d);
      tic.push(t);
      open[r] = o;
      close[r] = c;
      high[r] = Math.max(o, c) * (1.0 + 0.01 * rnd());
      low[r] = Math.min(o, c) * (1.0 - 0.01 * rnd());
      volume[r] = 1000000.0 + Math.floor(rnd() * 1000000.0);
      prev[k] = c;
      r++;
    });
  });
  return table({ date, tic, open, high, low, close, volume });
}

/** The bench table: 30 tickers x 2,520 days (about ten years of trading days). */
export function benchTable(): Table {
  return syntheticWalk(Array.from({ length: 30 }, (_, k) => `T${String(k).padStart(2, '0')}`), 2520, 7);
}
