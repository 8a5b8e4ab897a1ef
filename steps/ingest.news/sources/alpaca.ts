/**
 * Alpaca news (GET /v1beta1/news, Benzinga articles) through
 * @alpacahq/alpaca-trade-api, which follows `next_page_token`. An article tagged
 * with several requested symbols gives one row per symbol.
 */
import { alpacaClient, alpacaFailure } from '../../lib/http/alpaca.ts';
import { dateInZone, formatDay, inRange, parseDay } from '../../lib/ingest/dates.ts';
import type { NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

export default async function alpaca({ ctx, params, tickers, range }: SourceRequest): Promise<NewsRow[]> {
  if (!range) throw new Error('source alpaca needs start and end');
  const what = `alpaca news request (${tickers.join(',')})`;
  const { client } = await alpacaClient(ctx, params, what);
  let articles: Awaited<ReturnType<typeof client.marketData.collectNews>>;
  try {
    // A day of slack each side: rows are kept by their New York date.
    articles = await client.marketData.collectNews({
      symbols: [...tickers],
      start: new Date(`${formatDay(parseDay(range.start)! - 1)}T00:00:00Z`),
      end: new Date(`${formatDay(parseDay(range.end)! + 1)}T00:00:00Z`),
      limit: 50,
      includeContent: false,
    });
  } catch (error) {
    throw alpacaFailure(what, error);
  }
  const wanted = new Set(tickers);
  const rows: NewsRow[] = [];
  for (const article of articles) {
    const time = new Date(article.createdAt).getTime();
    const date = dateInZone(time, 'America/New_York');
    if (!inRange(date, range)) continue;
    for (const tic of article.symbols ?? []) {
      if (!wanted.has(tic)) continue;
      rows.push({ date, tic, headline: article.headline, summary: article.summary || null, source: article.source || null, url: article.url ?? null, label: null, time });
    }
  }
  return rows;
}
