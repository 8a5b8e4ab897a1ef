/**
 * Alpaca historical stock bars (market data v2, GET /v2/stocks/bars) through
 * @alpacahq/alpaca-trade-api, which follows `next_page_token` across pages. Daily
 * bars are stamped at midnight New York time; the date is that New York date.
 */
import { alpacaClient, alpacaFailure } from '../../lib/http/alpaca.ts';
import { dateInZone, inRange } from '../../lib/ingest/dates.ts';
import type { PriceRow } from '../prices.ts';
import type { SourceRequest } from './source.ts';

const TIMEFRAME = { '1d': '1Day', '1wk': '1Week', '1mo': '1Month' } as const;

export default async function alpaca({ ctx, params, tickers, range }: SourceRequest): Promise<PriceRow[]> {
  if (!range) throw new Error('source alpaca needs start and end');
  const what = `alpaca bars request (${TIMEFRAME[params.interval]}, ${tickers.join(',')})`;
  const { client, TimeFrame } = await alpacaClient(ctx, params, what);
  const timeframe = { '1d': TimeFrame.Day, '1wk': TimeFrame.Week, '1mo': TimeFrame.Month }[params.interval];
  let bySymbol: Record<string, { t: Date | string; o: number; h: number; l: number; c: number; v: number }[]>;
  try {
    bySymbol = await client.marketData.collectStockBarsBySymbol({
      symbols: [...tickers],
      timeframe,
      start: new Date(`${range.start}T00:00:00Z`),
      // Alpaca's end is inclusive: stop before the (exclusive) end date begins in New York.
      end: new Date(`${range.end}T00:00:00Z`),
      adjustment: params.adjustment,
      feed: params.feed,
      limit: 10_000,
    });
  } catch (error) {
    throw alpacaFailure(what, error);
  }
  const rows: PriceRow[] = [];
  for (const tic of tickers) {
    for (const bar of bySymbol[tic] ?? []) {
      const date = dateInZone(new Date(bar.t).getTime(), 'America/New_York');
      if (inRange(date, range)) rows.push({ date, tic, open: bar.o, high: bar.h, low: bar.l, close: bar.c, volume: bar.v });
    }
  }
  return rows;
}
