/**
 * Yahoo Finance daily bars through yahoo-finance2's `chart` module (the v8 chart
 * API that yfinance also reads), shaped as FinRL's YahooDownloader.fetch_data does:
 * prices adjusted by adjclose/close, dates as the exchange-local calendar date,
 * rows with any missing value dropped.
 */
import { providerFetch, requestFailure } from '../../lib/http/retry.ts';
import { dateInZone, formatDay, inRange, parseDay, type DateRange } from '../../lib/ingest/dates.ts';
import { unknownTicker, type PriceRow } from '../prices.ts';
import type { SourceRequest } from './source.ts';

const YAHOO_ORIGIN = 'https://query2.finance.yahoo.com';

interface ChartQuote {
  date: Date;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
  adjclose?: number | null;
}

/** FinRL's `_adjust_prices` (auto_adjust=False) or yfinance's own auto_adjust; null when a value is missing (FinRL's dropna). */
function adjustQuote(q: ChartQuote, autoAdjust: boolean): Omit<PriceRow, 'date' | 'tic'> | null {
  const { open, high, low, close, volume } = q;
  // yfinance fills a missing adjclose column with close.
  const adjclose = q.adjclose === undefined ? close : q.adjclose;
  if (open === null || high === null || low === null || close === null || volume === null || adjclose === null) return null;
  const adj = adjclose / close;
  const values = autoAdjust
    ? { open: open * adj, high: high * adj, low: low * adj, close: adjclose, volume }
    : { open: open * adj, high: high * adj, low: low * adj, close: close * adj, volume };
  return Object.values(values).some((v) => !Number.isFinite(v)) ? null : values;
}

export default async function yahoo({ ctx, params, tickers, range }: SourceRequest): Promise<PriceRow[]> {
  if (!range) throw new Error('source yahoo needs start and end');
  const { default: YahooFinance } = await import('yahoo-finance2');
  const yf = new YahooFinance({
    suppressNotices: ['yahooSurvey'],
    versionCheck: false,
    logger: {
      info: (...args: unknown[]) => ctx.log.debug(args.join(' ')),
      debug: (...args: unknown[]) => ctx.log.debug(args.join(' ')),
      dir: (...args: unknown[]) => ctx.log.debug(args.map((a) => JSON.stringify(a)).join(' ')),
      // v3 names Node 22 as its tested minimum and warns on Node 20 at every construction;
      // the chart module works there (tests/ingest/yahoo.test.ts), so that notice is debug-level.
      warn: (...args: unknown[]) => (String(args[0]).includes('Unsupported environment') ? ctx.log.debug : ctx.log.warn)(args.join(' ')),
      error: (...args: unknown[]) => ctx.log.warn(args.join(' ')),
    },
  });
  const perTicker = await Promise.all(
    tickers.map(async (tic) => {
      let status = 0;
      const what = `yahoo chart request for ${tic}`;
      const retrying = providerFetch(ctx, params, YAHOO_ORIGIN, what);
      const observed: typeof fetch = async (input, init) => {
        const response = await retrying(input, init);
        status = response.status;
        return response;
      };
      try {
        const chart = await yf.chart(tic, chartQuery(range, params.interval), { fetch: observed });
        return toRows(tic, chart.quotes, chart.meta.exchangeTimezoneName, range, params.auto_adjust);
      } catch (error) {
        if (status === 404) throw new Error(unknownTicker(tic, 'yahoo', `Yahoo answered "${error instanceof Error ? error.message : error}"`));
        throw requestFailure(what, error);
      }
    }),
  );
  return perTicker.flat();
}

/** One day of slack each side; rows are then kept by their exchange-local date. */
function chartQuery(range: DateRange, interval: '1d' | '1wk' | '1mo') {
  return {
    period1: formatDay(parseDay(range.start)! - 1),
    period2: formatDay(parseDay(range.end)! + 1),
    interval,
    includePrePost: false,
    events: 'div|split',
    return: 'array' as const,
  };
}

function toRows(tic: string, quotes: readonly ChartQuote[], timeZone: string, range: DateRange, autoAdjust: boolean): PriceRow[] {
  const rows: PriceRow[] = [];
  for (const quote of quotes) {
    const date = dateInZone(quote.date.getTime(), timeZone);
    if (!inRange(date, range)) continue;
    const values = adjustQuote(quote, autoAdjust);
    if (values) rows.push({ date, tic, ...values });
  }
  return rows;
}
