/**
 * HTTP for data providers: a `fetch` that retries transient failures with
 * exponential backoff (p-retry) and then fails with one clear message, and that
 * can send a provider's requests to another origin (a mirror, or a local replay
 * server in tests). Provider SDKs that accept a custom fetch (yahoo-finance2,
 * @alpacahq/alpaca-trade-api) get this one, so every source retries the same way.
 */
import pRetry from 'p-retry';
import type { StepContext } from '../../../engine/sdk.ts';

interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before the first retry; each further wait doubles. */
  minDelayMs: number;
}

interface RetryingFetchOptions extends RetryPolicy {
  /** Names the request in the final error, e.g. `yahoo chart request for AAPL`. */
  what: string;
  signal?: AbortSignal;
  /** Requests whose URL starts with `from` go to `to` instead. */
  rebase?: { from: string; to: string };
  log?: (message: string) => void;
  /** Per attempt; an attempt without an answer by then counts as a transient failure. */
  timeoutMs?: number;
}

/** A non-2xx answer that callers turn into their own message (404 = unknown symbol, ...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    /** The parsed JSON body, when there was one. */
    readonly body: unknown = undefined,
  ) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpError';
  }
}

/** Rate limits and server errors are worth another try; other 4xx are final. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** A failure worth another try: a rate limit, a server error, an attempt that got no answer in time. */
class Transient extends Error {}

/** Undici hides the useful part (`connect ECONNREFUSED 127.0.0.1:9`) in `cause`. */
function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message || cause?.code || error.message;
}

function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && (error.message === 'fetch failed' || 'cause' in error);
}

export function retryingFetch(options: RetryingFetchOptions): typeof fetch {
  const { attempts, minDelayMs, what, signal, rebase, log, timeoutMs = 30_000 } = options;
  const target = (input: string | URL | Request): string | URL | Request => {
    if (!rebase) return input;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return url.startsWith(rebase.from) ? rebase.to.replace(/\/+$/, '') + url.slice(rebase.from.length) : input;
  };
  const attempt = async (request: string | URL | Request, init: RequestInit | undefined): Promise<Response> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signals = [deadline, signal, init?.signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    let response: Response;
    try {
      response = await fetch(request, { ...init, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (deadline.aborted && !signal?.aborted) throw new Transient(`no answer within ${timeoutMs / 1000} s`);
      throw error;
    }
    if (!transientStatus(response.status)) return response;
    await response.body?.cancel();
    throw new Transient(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  };
  return async (input, init) => {
    const request = target(input);
    try {
      return await pRetry(() => attempt(request, init), {
        retries: attempts - 1,
        minTimeout: minDelayMs,
        factor: 2,
        signal,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0) log?.(`${what}: attempt ${attemptNumber} failed (${reason(error)}), retrying`);
        },
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof Transient || isNetworkFailure(error)) {
        throw new Error(`${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason(error)}`);
      }
      throw error;
    }
  };
}

/** The retry and endpoint params every network source takes. */
export interface Connection {
  attempts: number;
  retry_delay_ms: number;
  /** Stands in for the provider's origin (a mirror, a proxy, a test server). */
  endpoint?: string;
}

/** retryingFetch for a step: cancelled with it, retries logged as warnings, `endpoint` standing in for `origin`. */
export function providerFetch(ctx: Pick<StepContext, 'signal' | 'log'>, connection: Connection, origin: string, what: string): typeof fetch {
  return retryingFetch({
    attempts: connection.attempts,
    minDelayMs: connection.retry_delay_ms,
    what,
    signal: ctx.signal,
    rebase: connection.endpoint ? { from: origin, to: connection.endpoint } : undefined,
    log: (message) => ctx.log.warn(message),
  });
}

/** One message for a failed request: `<what> failed: <reason>`, unless the reason already says it (a retry give-up). */
export function requestFailure(what: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(message.startsWith(what) ? message : `${what} failed: ${message}`);
}

/** GET a JSON document; a non-2xx answer becomes an HttpError carrying the provider's own message. */
export async function getJson(fetchFn: typeof fetch, url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetchFn(url, { headers: { accept: 'application/json', ...headers } });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    if (response.ok) throw new Error(`expected JSON from ${new URL(url).origin}, got: ${text.slice(0, 120)}`);
  }
  if (!response.ok) throw new HttpError(response.status, providerMessage(body) ?? text.slice(0, 200), body);
  return body;
}

function providerMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  for (const key of ['message', 'error', 'detail']) {
    if (typeof b[key] === 'string') return b[key] as string;
  }
  return undefined;
}
