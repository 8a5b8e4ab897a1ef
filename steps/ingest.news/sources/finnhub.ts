/**
 * Finnhub company news (GET /api/v1/company-news?symbol=&from=&to=, dates
 * inclusive), one ticker and at most 30 days per request because Finnhub caps
 * the articles of a single answer. The key goes in the X-Finnhub-Token header.
 */
import { getJson, providerFetch, requestFailure } from '../../lib/http/retry.ts';
import { requireSecrets } from '../../lib/http/secrets.ts';
import { dateInZone, formatDay, inRange, parseDay } from '../../lib/ingest/dates.ts';
import type { NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

const FINNHUB_ORIGIN = 'https://finnhub.io';
const WINDOW_DAYS = 30;

interface FinnhubArticle {
  category?: string;
  datetime: number;
  headline: string;
  id?: number;
  image?: string;
  related?: string;
  source?: string;
  summary?: string;
  url?: string;
}

/** [from, to] inclusive windows covering [start, end). */
export function windows(start: number, end: number): [string, string][] {
  const out: [string, string][] = [];
  for (let from = start; from < end; from += WINDOW_DAYS) out.push([formatDay(from), formatDay(Math.min(from + WINDOW_DAYS, end) - 1)]);
  return out;
}

export default async function finnhub({ ctx, params, tickers, range }: SourceRequest): Promise<NewsRow[]> {
  if (!range) throw new Error('source finnhub needs start and end');
  const { FINNHUB_API_KEY: token } = requireSecrets(ctx, 'finnhub', ['FINNHUB_API_KEY']);
  const rows: NewsRow[] = [];
  for (const tic of tickers) {
    for (const [from, to] of windows(parseDay(range.start)!, parseDay(range.end)!)) {
      const what = `finnhub company-news request for ${tic} (${from}..${to})`;
      const query = new URLSearchParams({ symbol: tic, from, to });
      let articles: unknown;
      try {
        articles = await getJson(providerFetch(ctx, params, FINNHUB_ORIGIN, what), `${FINNHUB_ORIGIN}/api/v1/company-news?${query}`, { 'X-Finnhub-Token': token });
      } catch (error) {
        throw requestFailure(what, error);
      }
      if (!Array.isArray(articles)) throw requestFailure(what, `expected a JSON array, got ${JSON.stringify(articles).slice(0, 120)}`);
      for (const a of articles as FinnhubArticle[]) {
        const time = a.datetime * 1000;
        const date = dateInZone(time, 'America/New_York');
        if (!inRange(date, range)) continue;
        rows.push({ date, tic, headline: a.headline, summary: a.summary || null, source: a.source || null, url: a.url || null, label: null, time });
      }
    }
  }
  return rows;
}
