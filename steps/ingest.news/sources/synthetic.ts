/** Synthetic headlines generated from the `prices` input (../synthetic.ts). */
import { syntheticNews } from '../synthetic.ts';
import type { NewsRow } from '../news.ts';
import type { SourceRequest } from './source.ts';

export default async function synthetic({ params, tickers, prices }: SourceRequest): Promise<NewsRow[]> {
  if (!prices) throw new Error('source synthetic needs the `prices` input: connect it to an ingest.ohlcv step, e.g. inputs: { prices: ohlcv.prices }');
  return syntheticNews(await prices.table(), tickers.length > 0 ? new Set(tickers) : undefined, {
    seed: params.seed,
    threshold: params.threshold,
    horizon: params.horizon,
    labelNoise: params.label_noise,
    perDay: params.per_day,
  });
}
