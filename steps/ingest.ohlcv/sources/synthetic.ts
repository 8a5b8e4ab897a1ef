/** The seeded synthetic market (../synthetic.ts) on the business days of the range. */
import { businessDays, checkRange, formatDay } from '../../lib/ingest/dates.ts';
import { simulate } from '../synthetic.ts';
import type { PriceRow } from '../prices.ts';
import type { SourceRequest } from './source.ts';

export default async function synthetic({ params, tickers, range }: SourceRequest): Promise<PriceRow[]> {
  if (!range) throw new Error('source synthetic needs start and end');
  const { start, end } = checkRange(range);
  const days = businessDays(start, end);
  if (days.length === 0) throw new Error(`no business days between ${range.start} and ${range.end} (end is exclusive)`);
  const dates = days.map(formatDay);
  const rows: PriceRow[] = [];
  for (const [tic, bars] of simulate(params.seed, tickers, days.length)) {
    dates.forEach((date, t) =>
      rows.push({ date, tic, open: bars.open[t]!, high: bars.high[t]!, low: bars.low[t]!, close: bars.close[t]!, volume: bars.volume[t]! }),
    );
  }
  return rows;
}
