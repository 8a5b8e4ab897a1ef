/**
 * The broker as trade.alpaca sees it: the eight Alpaca trading endpoints it may use,
 * through the maintained @alpacahq/alpaca-trade-api client, with our retrying fetch
 * in place of the SDK's own retry (its client-side rate limiter, 200 requests a minute
 * as Alpaca allows, stays on: polling many orders waits instead of drawing 429s).
 * Reads (GET) retry 429/5xx and
 * timeouts with backoff; a POST or DELETE is sent once, and a POST whose outcome is
 * unknown comes back as `ambiguous` for the caller to settle by client_order_id.
 */
import type { StepContext } from '../../engine/sdk.ts';
import { requestFailure, retryingFetch, type Connection } from '../lib/http/retry.ts';
import { requireSecrets } from '../lib/http/secrets.ts';

export const PAPER_ORIGIN = 'https://paper-api.alpaca.markets';
export const LIVE_ORIGIN = 'https://api.alpaca.markets';

export interface Clock {
  isOpen: boolean;
  /** ISO time. */
  timestamp: string;
  nextOpen: string;
}

export interface Account {
  accountNumber: string;
  cash: number;
  equity: number;
  buyingPower: number;
}

export interface Position {
  symbol: string;
  /** Negative for a short. */
  qty: number;
}

export interface Order {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  status: string;
  filledQty: number;
  /** NaN until something filled. */
  filledAvgPrice: number;
}

export interface OrderRequest {
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  type: 'market';
  timeInForce: 'day' | 'gtc' | 'opg' | 'cls' | 'ioc' | 'fok';
  clientOrderId: string;
}

/** What a POST came to: accepted, refused by the broker (with its reason), or unknown (no answer). */
export type Submission =
  | { kind: 'accepted'; order: Order }
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'ambiguous'; reason: string };

/** Statuses after which an order no longer changes. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['filled', 'canceled', 'expired', 'rejected', 'done_for_day', 'replaced', 'stopped', 'suspended']);

export interface Broker {
  clock(): Promise<Clock>;
  account(): Promise<Account>;
  positions(): Promise<Position[]>;
  /** The order with this client_order_id, or undefined when the broker has none. */
  orderByClientId(clientOrderId: string): Promise<Order | undefined>;
  order(id: string): Promise<Order>;
  openOrders(): Promise<Order[]>;
  submit(request: OrderRequest): Promise<Submission>;
  cancel(id: string): Promise<void>;
}

/** A failure the broker answered with an HTTP status (401/403 keys, 422 validation, ...). */
class BrokerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

export interface BrokerOptions extends Connection {
  /** The trading API origin (Alpaca's paper or live one, a proxy, a test server). */
  endpoint: string;
  live: boolean;
  /** Per request; an answer later than this is a timeout. */
  request_timeout_ms: number;
}

export async function alpacaBroker(ctx: Pick<StepContext, 'secret' | 'signal' | 'log'>, options: BrokerOptions): Promise<Broker> {
  const keys = requireSecrets(ctx, 'trade.alpaca', ['ALPACA_API_KEY', 'ALPACA_API_SECRET']);
  const sdk = await import('@alpacahq/alpaca-trade-api');
  const origin = options.live ? LIVE_ORIGIN : PAPER_ORIGIN;
  const rebase = { from: origin, to: options.endpoint };
  const log = (message: string) => ctx.log.warn(message);
  const reads = retryingFetch({ attempts: options.attempts, minDelayMs: options.retry_delay_ms, what: 'alpaca request', signal: ctx.signal, rebase, log, timeoutMs: options.request_timeout_ms });
  const writes = retryingFetch({ attempts: 1, minDelayMs: 0, what: 'alpaca request', signal: ctx.signal, rebase, timeoutMs: options.request_timeout_ms });
  const fetchApi: typeof fetch = (input, init) => ((init?.method ?? 'GET').toUpperCase() === 'GET' ? reads(input, init) : writes(input, init));
  const client = new sdk.Alpaca({
    keyId: keys.ALPACA_API_KEY,
    secret: keys.ALPACA_API_SECRET,
    paper: !options.live,
    retry: false,
    // Our fetch times each attempt out; the SDK's own deadline would cut retries short.
    timeoutMs: 0,
    fetchApi,
  }).trading;

  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw failure(what, error);
    }
  };
  return {
    clock: () =>
      call('GET /v2/clock', async () => {
        const c = await client.clock.legacyClock();
        return { isOpen: c.isOpen, timestamp: c.timestamp.toISOString(), nextOpen: c.nextOpen.toISOString() };
      }),
    account: () =>
      call('GET /v2/account', async () => {
        const a = await client.account.getAccount();
        return { accountNumber: a.accountNumber ?? '', cash: Number(a.cash), equity: Number(a.equity), buyingPower: Number(a.buyingPower) };
      }),
    positions: () => call('GET /v2/positions', async () => (await client.positions.getAllOpenPositions()).map((p) => ({ symbol: p.symbol, qty: Number(p.qty) }))),
    async orderByClientId(clientOrderId) {
      try {
        return toOrder(await client.orders.getOrderByClientOrderId({ clientOrderId }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw failure(`GET /v2/orders:by_client_order_id (${clientOrderId})`, error);
      }
    },
    order: (id) => call(`GET /v2/orders/${id}`, async () => toOrder(await client.orders.getOrderByOrderID({ orderId: id }))),
    openOrders: () => call('GET /v2/orders?status=open', async () => (await client.orders.getAllOrders({ status: 'open', limit: 500 })).map(toOrder)),
    async submit(request) {
      try {
        const order = await client.orders.postOrder({
          postOrderRequest: {
            symbol: request.symbol,
            side: request.side,
            qty: String(request.qty),
            type: request.type,
            timeInForce: request.timeInForce,
            clientOrderId: request.clientOrderId,
          },
        });
        return { kind: 'accepted', order: toOrder(order) };
      } catch (error) {
        const status = statusOf(error);
        if (status === undefined || status === 429 || status >= 500) return { kind: 'ambiguous', reason: reasonOf(error) };
        if (status === 401) throw failure('POST /v2/orders', error);
        return { kind: 'refused', status, message: (error as Error).message };
      }
    },
    cancel: (id) => call(`DELETE /v2/orders/${id}`, () => client.orders.deleteOrderByOrderID({ orderId: id })),
  };
}

/** The HTTP status of an SDK ApiError; undefined for a transport failure (no answer). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** The SDK wraps transport failures in a FetchError whose cause is our retry message. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function failure(what: string, error: unknown): Error {
  const status = statusOf(error);
  if (status === undefined) return requestFailure(`alpaca ${what}`, reasonOf(error));
  const message = (error as Error).message;
  if (status === 401 || status === 403) {
    return new BrokerError(status, `alpaca ${what}: HTTP ${status}: ${message}: check ALPACA_API_KEY and ALPACA_API_SECRET, and that they belong to the endpoint's (paper or live) account`);
  }
  return new BrokerError(status, `alpaca ${what} failed: HTTP ${status}: ${message}`);
}

function toOrder(o: {
  id?: string;
  clientOrderId?: string;
  symbol?: string;
  side?: string;
  qty?: string | null;
  status?: string;
  filledQty?: string;
  filledAvgPrice?: string | null;
}): Order {
  return {
    id: o.id ?? '',
    clientOrderId: o.clientOrderId ?? '',
    symbol: o.symbol ?? '',
    side: o.side === 'sell' ? 'sell' : 'buy',
    qty: Number(o.qty ?? NaN),
    status: String(o.status),
    filledQty: Number(o.filledQty ?? 0),
    filledAvgPrice: o.filledAvgPrice == null ? NaN : Number(o.filledAvgPrice),
  };
}
