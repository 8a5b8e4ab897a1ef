/* Generated from steps/ingest.news/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * News headlines per ticker and day from a provider, a local file, or synthetic headlines whose tone follows the synthetic prices.
 */
export interface NewsParams {
  /**
   * Where headlines come from. `synthetic` (the default) needs no network and reads the `prices` input. `fpb`: a Financial PhraseBank file of `sentence@label` lines (labelled text without date or ticker, for training sentiment models).
   */
  source?: 'synthetic' | 'alpaca' | 'finnhub' | 'newsapi' | 'csv' | 'jsonl' | 'fpb';
  /**
   * Symbols to fetch (required for providers; for synthetic and files a filter, default all tickers except ^ indexes).
   *
   * @minItems 1
   */
  tickers?: [string, ...string[]];
  /**
   * First date, YYYY-MM-DD, inclusive (required for providers; for synthetic and files a filter).
   */
  start?: string;
  /**
   * Date after the last one, YYYY-MM-DD (exclusive), or `today`.
   */
  end?: string;
  /**
   * Keep cached news for a range that reaches today instead of refetching on every run.
   */
  pin?: boolean;
  /**
   * synthetic: the seed; the same seed and prices always give the same headlines.
   */
  seed?: number;
  /**
   * synthetic: a move larger than this many of the ticker's daily standard deviations reads positive or negative; smaller reads neutral.
   */
  threshold?: number;
  /**
   * synthetic: 0 = a headline's tone follows that day's close-to-close move; 1 = the next day's move (news that anticipates prices, for testing that an agent can use sentiment).
   */
  horizon?: number;
  /**
   * synthetic: probability that a headline's tone departs from the move (its label always matches its own tone).
   */
  label_noise?: number;
  /**
   * synthetic: headlines per ticker and day.
   */
  per_day?: number;
  /**
   * newsapi: search query per ticker (default the ticker itself), e.g. { AAPL: "Apple OR AAPL" }.
   */
  queries?: {
    [k: string]: string;
  };
  /**
   * newsapi: article language.
   */
  language?: string;
  /**
   * csv/jsonl/fpb: the file, relative to the project root. Declared to the engine as a file dependency.
   */
  path?: string;
  /**
   * csv/jsonl: file column (or JSON field) -> output column, e.g. { published: date, symbol: tic, title: headline }. Unmapped columns with an output name are taken as they are.
   */
  columns?: {
    [k: string]: 'date' | 'tic' | 'headline' | 'summary' | 'source' | 'url' | 'label';
  };
  /**
   * alpaca/finnhub/newsapi: send requests to this origin instead of the provider's, e.g. http://127.0.0.1:8080.
   */
  endpoint?: string;
  /**
   * Network tries per request before failing (retries back off exponentially).
   */
  attempts?: number;
  /**
   * Wait before the first retry; each further wait doubles.
   */
  retry_delay_ms?: number;
}
