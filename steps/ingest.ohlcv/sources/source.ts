/** What every price source receives: params with the schema's defaults applied, and a checked range. */
import type { StepContext } from '../../../engine/sdk.ts';
import type { DateRange } from '../../lib/ingest/dates.ts';
import type { OhlcvParams } from '../params.ts';
import type { PriceRow } from '../prices.ts';

export type ResolvedParams = OhlcvParams &
  Required<Pick<OhlcvParams, 'source' | 'interval' | 'pin' | 'seed' | 'auto_adjust' | 'adjustment' | 'feed' | 'attempts' | 'retry_delay_ms'>>;

export interface SourceRequest {
  ctx: StepContext;
  params: ResolvedParams;
  tickers: readonly string[];
  /** Absent for files read without a date filter. */
  range: DateRange | undefined;
}

export type PriceSource = (request: SourceRequest) => Promise<PriceRow[]>;
