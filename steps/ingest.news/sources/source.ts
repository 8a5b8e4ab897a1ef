/** What every news source receives: params with the schema's defaults applied, and a checked range. */
import type { InputArtifact, StepContext } from '../../../engine/sdk.ts';
import type { DateRange } from '../../lib/ingest/dates.ts';
import type { NewsRow } from '../news.ts';
import type { NewsParams } from '../params.ts';

export type ResolvedParams = NewsParams &
  Required<Pick<NewsParams, 'source' | 'pin' | 'seed' | 'threshold' | 'horizon' | 'label_noise' | 'per_day' | 'language' | 'attempts' | 'retry_delay_ms'>>;

export interface SourceRequest {
  ctx: StepContext;
  params: ResolvedParams;
  /** Empty when the source decides (all tickers of the prices input or the file). */
  tickers: readonly string[];
  range: DateRange | undefined;
  prices: InputArtifact | undefined;
}

export type NewsSource = (request: SourceRequest) => Promise<NewsRow[]>;
