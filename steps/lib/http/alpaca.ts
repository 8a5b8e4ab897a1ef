/**
 * An Alpaca market-data client (@alpacahq/alpaca-trade-api) wired the way every
 * ingestion source wants it: keys from ctx.secret, our retrying fetch instead of
 * the SDK's own retry (one policy and one final message for all providers), and
 * an optional `endpoint` standing in for https://data.alpaca.markets.
 */
import type { StepContext } from '../../../engine/sdk.ts';
import { providerFetch, requestFailure, type Connection } from './retry.ts';
import { requireSecrets } from './secrets.ts';

const ALPACA_DATA_ORIGIN = 'https://data.alpaca.markets';

export async function alpacaClient(ctx: StepContext, connection: Connection, what: string) {
  const keys = requireSecrets(ctx, 'alpaca', ['ALPACA_API_KEY', 'ALPACA_API_SECRET']);
  const sdk = await import('@alpacahq/alpaca-trade-api');
  const client = new sdk.Alpaca({
    keyId: keys.ALPACA_API_KEY,
    secret: keys.ALPACA_API_SECRET,
    retry: false,
    fetchApi: providerFetch(ctx, connection, ALPACA_DATA_ORIGIN, what),
  });
  return { client, TimeFrame: sdk.TimeFrame };
}

/**
 * The error to throw for a failed call. The SDK wraps transport failures in a
 * FetchError (the reason is its cause: our retry message) and answers non-2xx with
 * an ApiError (status + Alpaca's own message).
 */
export function alpacaFailure(what: string, error: unknown): Error {
  if (!(error instanceof Error)) return requestFailure(what, error);
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return requestFailure(what, `HTTP ${status}: ${error.message}`);
  return requestFailure(what, error.cause instanceof Error ? error.cause : error);
}
