/* Generated from config/data_sources.schema.json by `npm run gen:types`. Do not edit. */
import type {NewsParams} from '../steps/ingest.news/params.ts';
import type {OhlcvParams} from '../steps/ingest.ohlcv/params.ts';

/**
 * Named params blocks for ingest.ohlcv (top level) and ingest.news (under `news`), referenced from pipelines with $ref. Each block is a complete params object of its plugin.
 */
export interface DataSources {
  /**
   * Params blocks for ingest.news, by name.
   */
  news?: {
    [k: string]: NewsParams;
  };
  [k: string]:
    | OhlcvParams
    | {
        [k: string]: NewsParams;
      }
    | undefined;
}
