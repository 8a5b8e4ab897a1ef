/**
 * A local Alpaca trading API in Alpaca's wire format (routes, snake_case JSON with
 * numbers as strings, status codes and `{code, message}` error bodies as documented),
 * holding an account, positions, a clock and order fills the test controls. Orders fill
 * at the price the test sets per symbol, at once or after some polls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export const KEYS = { ALPACA_API_KEY: 'PKPAPERTEST0123456789', ALPACA_API_SECRET: 'paperSECRETpaperSECRET0123456789abcdefgh' };

export interface WireOrder {
  id: string;
  client_order_id: string;
  created_at: string;
  updated_at: string;
  submitted_at: string;
  filled_at: string | null;
  expired_at: null;
  canceled_at: string | null;
  failed_at: null;
  replaced_at: null;
  replaced_by: null;
  replaces: null;
  asset_id: string;
  symbol: string;
  asset_class: 'us_equity';
  notional: null;
  qty: string;
  filled_qty: string;
  filled_avg_price: string | null;
  order_class: '';
  order_type: 'market';
  type: 'market';
  side: 'buy' | 'sell';
  position_intent: string;
  time_in_force: string;
  limit_price: null;
  stop_price: null;
  status: string;
  extended_hours: false;
  legs: null;
  trail_percent: null;
  trail_price: null;
  hwm: null;
}

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** What the test decides for a POST /v2/orders before the broker handles it. */
export type PostHook = (order: { symbol: string; side: string; qty: number; client_order_id: string }, index: number) => 'handle' | 'hang' | 'land-and-hang' | Promise<'handle' | 'hang' | 'land-and-hang'>;

export interface BrokerState {
  cash: number;
  positions: Map<string, number>;
  prices: Map<string, number>;
  isOpen: boolean;
  /** Polls of GET /v2/orders/{id} before an order fills (0: filled when accepted). */
  fillAfterPolls: number;
  /** Symbols whose orders the exchange rejects after accepting them. */
  rejectSymbols: Set<string>;
  /** Cash the broker holds back from buying power (e.g. unsettled funds). */
  reserved: number;
  /** The clock's `timestamp`. */
  clock: string;
}

export interface AlpacaServer {
  url: string;
  state: BrokerState;
  orders: WireOrder[];
  requests: Request[];
  /** POSTs received, in order, whatever became of them. */
  posts: { client_order_id: string; symbol: string; side: string; qty: number }[];
  onPost: PostHook;
  /** Answers a request instead of the broker (a 429, a 500) when it returns something. */
  intercept: (req: Request) => [number, unknown] | undefined;
  close(): Promise<void>;
}

const NOW = '2024-03-05T15:30:00Z';

export interface InitialState {
  cash: number;
  prices: Record<string, number>;
  positions?: Record<string, number>;
  isOpen?: boolean;
  fillAfterPolls?: number;
  rejectSymbols?: Set<string>;
  reserved?: number;
}

export async function alpacaServer(initial: InitialState): Promise<AlpacaServer> {
  const state: BrokerState = {
    cash: initial.cash,
    positions: new Map(Object.entries(initial.positions ?? {})),
    prices: new Map(Object.entries(initial.prices)),
    isOpen: initial.isOpen ?? true,
    fillAfterPolls: initial.fillAfterPolls ?? 0,
    rejectSymbols: initial.rejectSymbols ?? new Set(),
    reserved: initial.reserved ?? 0,
    clock: '2024-03-05T10:30:00.000-05:00',
  };
  const orders: WireOrder[] = [];
  const polls = new Map<string, number>();
  const requests: Request[] = [];
  const posts: AlpacaServer['posts'] = [];
  const hanging = new Set<ServerResponse>();

  const equity = () => state.cash + [...state.positions].reduce((sum, [s, q]) => sum + q * state.prices.get(s)!, 0);
  const account = () => ({
    id: '904837e3-3b76-47ec-b432-046db621571b',
    account_number: 'PA3TESTACCT1',
    status: 'ACTIVE',
    crypto_status: 'ACTIVE',
    currency: 'USD',
    cash: String(state.cash),
    buying_power: String(Math.max(0, state.cash - state.reserved)),
    regt_buying_power: String(Math.max(0, state.cash - state.reserved)),
    daytrading_buying_power: '0',
    non_marginable_buying_power: String(Math.max(0, state.cash - state.reserved)),
    portfolio_value: String(equity()),
    equity: String(equity()),
    last_equity: String(equity()),
    long_market_value: String(equity() - state.cash),
    short_market_value: '0',
    initial_margin: '0',
    maintenance_margin: '0',
    last_maintenance_margin: '0',
    sma: '0',
    daytrade_count: 0,
    multiplier: '1',
    pattern_day_trader: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    trade_suspended_by_user: false,
    shorting_enabled: false,
    created_at: '2024-01-02T14:00:00Z',
    accrued_fees: '0',
    pending_transfer_in: '0',
  });
  const position = (symbol: string, qty: number) => {
    const price = state.prices.get(symbol)!;
    return {
      asset_id: assetId(symbol),
      symbol,
      exchange: 'NASDAQ',
      asset_class: 'us_equity',
      asset_marginable: true,
      avg_entry_price: String(price),
      qty: String(qty),
      qty_available: String(qty),
      side: qty >= 0 ? 'long' : 'short',
      market_value: String(qty * price),
      cost_basis: String(qty * price),
      unrealized_pl: '0',
      unrealized_plpc: '0',
      unrealized_intraday_pl: '0',
      unrealized_intraday_plpc: '0',
      current_price: String(price),
      lastday_price: String(price),
      change_today: '0',
    };
  };
  const fill = (order: WireOrder) => {
    const qty = Number(order.qty);
    const price = state.prices.get(order.symbol)!;
    if (state.rejectSymbols.has(order.symbol)) {
      order.status = 'rejected';
      return;
    }
    const held = state.positions.get(order.symbol) ?? 0;
    const next = held + (order.side === 'buy' ? qty : -qty);
    if (next === 0) state.positions.delete(order.symbol);
    else state.positions.set(order.symbol, next);
    state.cash += (order.side === 'buy' ? -1 : 1) * qty * price;
    order.status = 'filled';
    order.filled_qty = order.qty;
    order.filled_avg_price = String(price);
    order.filled_at = NOW;
  };
  /** Alpaca's checks at submission; an error body or undefined. */
  const refusal = (body: Record<string, unknown>): [number, { code: number; message: string }] | undefined => {
    if (typeof body.client_order_id === 'string' && body.client_order_id.length > 128) return [422, { code: 40010001, message: 'client_order_id must be no more than 128 characters' }];
    if (orders.some((o) => o.client_order_id === body.client_order_id)) return [422, { code: 40010001, message: 'client_order_id must be unique' }];
    const symbol = String(body.symbol);
    const price = state.prices.get(symbol);
    if (price === undefined) return [422, { code: 40010001, message: `asset "${symbol}" not found` }];
    const qty = Number(body.qty);
    if (!(qty > 0)) return [422, { code: 40010001, message: 'qty must be > 0' }];
    if (body.side === 'buy') {
      const committed = orders.filter((o) => o.side === 'buy' && !['filled', 'canceled', 'rejected'].includes(o.status)).reduce((s, o) => s + Number(o.qty) * state.prices.get(o.symbol)!, 0);
      if (qty * price > state.cash - state.reserved - committed) return [403, { code: 40310000, message: 'insufficient buying power' }];
    } else {
      const held = state.positions.get(symbol) ?? 0;
      if (qty > held) return [403, { code: 40310000, message: `insufficient qty available for order (requested: ${qty}, available: ${held})` }];
    }
    return undefined;
  };
  const accept = (body: Record<string, unknown>): WireOrder => {
    const order: WireOrder = {
      id: randomUUID(),
      client_order_id: String(body.client_order_id ?? randomUUID()),
      created_at: NOW,
      updated_at: NOW,
      submitted_at: NOW,
      filled_at: null,
      expired_at: null,
      canceled_at: null,
      failed_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: null,
      asset_id: assetId(String(body.symbol)),
      symbol: String(body.symbol),
      asset_class: 'us_equity',
      notional: null,
      qty: String(body.qty),
      filled_qty: '0',
      filled_avg_price: null,
      order_class: '',
      order_type: 'market',
      type: 'market',
      side: body.side === 'sell' ? 'sell' : 'buy',
      position_intent: body.side === 'sell' ? 'sell_to_close' : 'buy_to_open',
      time_in_force: String(body.time_in_force),
      limit_price: null,
      stop_price: null,
      status: 'accepted',
      extended_hours: false,
      legs: null,
      trail_percent: null,
      trail_price: null,
      hwm: null,
    };
    orders.push(order);
    if (state.isOpen && state.fillAfterPolls === 0) fill(order);
    return order;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const url = new URL(req.url!, 'http://localhost');
    const path = url.pathname;
    requests.push({ method: req.method!, path, query: url.searchParams, body });
    if (req.headers['apca-api-key-id'] !== KEYS.ALPACA_API_KEY || req.headers['apca-api-secret-key'] !== KEYS.ALPACA_API_SECRET) {
      return send(res, 401, { code: 40110000, message: 'request is not authorized' });
    }
    const intercepted = server.intercept(requests[requests.length - 1]!);
    if (intercepted) return send(res, intercepted[0], intercepted[1]);
    const route = `${req.method} ${path}`;
    if (route === 'GET /v2/clock') {
      return send(res, 200, { timestamp: state.clock, is_open: state.isOpen, next_open: state.isOpen ? '2024-03-06T09:30:00-05:00' : '2024-03-05T09:30:00-05:00', next_close: '2024-03-05T16:00:00-05:00' });
    }
    if (route === 'GET /v2/account') return send(res, 200, account());
    if (route === 'GET /v2/positions') return send(res, 200, [...state.positions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, q]) => position(s, q)));
    if (route === 'GET /v2/orders:by_client_order_id') {
      const found = orders.find((o) => o.client_order_id === url.searchParams.get('client_order_id'));
      return found ? send(res, 200, found) : send(res, 404, { code: 40410000, message: 'order not found' });
    }
    if (route === 'GET /v2/orders') {
      const status = url.searchParams.get('status') ?? 'open';
      const open = (o: WireOrder) => !['filled', 'canceled', 'expired', 'rejected'].includes(o.status);
      return send(res, 200, orders.filter((o) => status === 'all' || (status === 'open') === open(o)));
    }
    if (route === 'POST /v2/orders') {
      const b = body as Record<string, unknown>;
      const post = { client_order_id: String(b.client_order_id), symbol: String(b.symbol), side: String(b.side), qty: Number(b.qty) };
      posts.push(post);
      const hook = await server.onPost(post, posts.length);
      if (hook === 'hang') return void hanging.add(res);
      const refused = refusal(b);
      if (refused) return send(res, refused[0], refused[1]);
      const order = accept(b);
      if (hook === 'land-and-hang') return void hanging.add(res);
      return send(res, 200, order);
    }
    const byId = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (byId) {
      const order = orders.find((o) => o.id === byId[1]);
      if (!order) return send(res, 404, { code: 40410000, message: 'order not found' });
      if (req.method === 'DELETE') {
        if (['filled', 'canceled', 'rejected'].includes(order.status)) return send(res, 422, { code: 42210000, message: `order is already in "${order.status}" state` });
        order.status = 'canceled';
        order.canceled_at = NOW;
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET') {
        const seen = (polls.get(order.id) ?? 0) + 1;
        polls.set(order.id, seen);
        if (order.status === 'accepted' && state.isOpen && seen >= state.fillAfterPolls) fill(order);
        return send(res, 200, order);
      }
    }
    return send(res, 404, { code: 40410000, message: 'endpoint not found' });
  };

  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      handle(req, res, text ? JSON.parse(text) : undefined).catch((error: Error) => send(res, 500, { code: 50010000, message: error.message }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const server: AlpacaServer = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    state,
    orders,
    requests,
    posts,
    onPost: () => 'handle',
    intercept: () => undefined,
    close: async () => {
      for (const res of hanging) res.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function assetId(symbol: string): string {
  return `00000000-0000-4000-8000-${Buffer.from(symbol.padEnd(6, '_').slice(0, 6)).toString('hex')}`;
}
