/**
 * FinRL's rules for one trading date, apart from the episode around them: the
 * observation, actions to share orders, and the execution of orders against an
 * account (sells first, cash-limited buys, costs, turbulence liquidation).
 * StockTradingEnv steps through these, and so does live order placement
 * (trade.alpaca), which is what makes a broker's orders equal a backtest's trades.
 * Nothing here allocates per call.
 */
import { perTicker, type EnvConfig } from './config.ts';
import type { Market } from './market.ts';
import { pyFloorDiv } from './python-arith.ts';

/** The account orders execute against; `execute` updates it in place. */
export interface Book {
  cash: number;
  /** Transaction cost paid so far. */
  cost: number;
  /** Trades counted as FinRL counts them (a buy attempt counts even when no cash is left). */
  trades: number;
  /** Shares held per ticker. */
  readonly holdings: Float64Array;
}

/** Writes FinRL's state `[cash, close[D], shares[D], feature_0[D], ..., feature_{K-1}[D]]` of `day` into `state`. */
export function writeObservation(state: Float64Array, market: Market, day: number, cash: number, shares: Float64Array): void {
  const D = market.tickers.length;
  const K = market.indicators.length;
  const close = market.close;
  const features = market.features;
  // Plain loops: subarray() would allocate a view per step.
  state[0] = cash;
  for (let i = 0, from = day * D; i < D; i++) state[1 + i] = close[from + i]!;
  for (let i = 0; i < D; i++) state[1 + D + i] = shares[i]!;
  for (let j = 0, from = day * K * D, n = K * D; j < n; j++) state[1 + 2 * D + j] = features[from + j]!;
}

export class TradeRules {
  readonly market: Market;
  readonly hmax: number;
  /** turbulence_threshold, or null when turbulence is ignored. */
  readonly threshold: number | null;
  /** buy_cost_pct per ticker (read-only). */
  readonly buyCost: Float64Array;
  private readonly sellCost: Float64Array;
  private readonly buyFactor: Float64Array;
  private readonly sellFactor: Float64Array;
  private readonly sellOrder: Int32Array;
  private readonly buyOrder: Int32Array;

  constructor(market: Market, config: EnvConfig) {
    const D = market.tickers.length;
    this.market = market;
    this.hmax = config.hmax;
    this.threshold = config.turbulence_threshold;
    this.buyCost = perTicker(config.buy_cost_pct, market.tickers, 'buy_cost_pct');
    this.sellCost = perTicker(config.sell_cost_pct, market.tickers, 'sell_cost_pct');
    this.buyFactor = this.buyCost.map((c) => 1 + c);
    this.sellFactor = this.sellCost.map((c) => 1 - c);
    this.sellOrder = new Int32Array(D);
    this.buyOrder = new Int32Array(D);
  }

  /**
   * Actions (nominally in [-1, 1]; not clipped here, as in FinRL, where SB3 clips)
   * times hmax, truncated toward zero: the share orders of `day`.
   */
  ordersFromActions(actions: ArrayLike<number>, orders: Float64Array, day: number): void {
    for (let i = 0; i < orders.length; i++) {
      const a = actions[i]!;
      if (Number.isNaN(a)) throw new Error(`action ${i} (${this.market.tickers[i]}) is NaN on ${this.market.dates[day]}`);
      orders[i] = Math.trunc(a * this.hmax);
    }
  }

  /** Turbulence at or above the threshold: sell everything, buy nothing. */
  liquidates(turbulence: number): boolean {
    return this.threshold !== null && turbulence >= this.threshold;
  }

  /**
   * Executes whole-share orders at `day`'s closes against `book` and writes the shares
   * traded per ticker into `executed` (negative = sold). When liquidating, `orders`
   * is overwritten with -hmax, as FinRL does.
   */
  execute(book: Book, orders: Float64Array, day: number, liquidate: boolean, executed: Float64Array): void {
    const D = orders.length;
    if (liquidate) orders.fill(-this.hmax);
    // FinRL: argsort(actions); sells = the negative ones ascending, buys = the positive
    // ones from the reversed order. A stable argsort is assumed, so equal buys go in
    // descending ticker index.
    let sells = 0;
    let buys = 0;
    for (let i = 0; i < D; i++) {
      const o = orders[i]!;
      if (o < 0) sells = insertSorted(this.sellOrder, sells, i, orders, 1);
      else if (o > 0) buys = insertSorted(this.buyOrder, buys, i, orders, -1);
    }
    executed.fill(0);
    for (let s = 0; s < sells; s++) {
      const i = this.sellOrder[s]!;
      executed[i] = -this.sell(book, day, i, -orders[i]!, liquidate);
    }
    for (let b = 0; b < buys; b++) {
      const i = this.buyOrder[b]!;
      executed[i] = this.buy(book, day, i, orders[i]!, liquidate);
    }
  }

  /** FinRL `_sell_stock`: returns the shares sold. */
  private sell(book: Book, day: number, i: number, wanted: number, liquidate: boolean): number {
    const shares = book.holdings;
    const held = shares[i]!;
    const price = this.market.close[day * this.sellCost.length + i]!;
    let sold: number;
    if (liquidate) {
      if (held <= 0) return 0;
      sold = held;
    } else {
      if (this.tradingDisabled(day, i) || held <= 0) return 0;
      sold = Math.min(wanted, held);
    }
    book.cash += price * sold * this.sellFactor[i]!;
    shares[i] = liquidate ? 0 : held - sold;
    book.cost += price * sold * this.sellCost[i]!;
    book.trades += 1;
    return sold;
  }

  /** FinRL `_buy_stock`: returns the shares bought, limited by cash // (price * (1 + cost)). */
  private buy(book: Book, day: number, i: number, wanted: number, liquidate: boolean): number {
    if (liquidate || this.tradingDisabled(day, i)) return 0;
    const price = this.market.close[day * this.buyCost.length + i]!;
    const affordable = pyFloorDiv(book.cash, price * this.buyFactor[i]!);
    const bought = Math.min(affordable, wanted);
    book.cash -= price * bought * this.buyFactor[i]!;
    book.holdings[i] = book.holdings[i]! + bought;
    book.cost += price * bought * this.buyCost[i]!;
    book.trades += 1;
    return bought;
  }

  /**
   * FinRL checks `state[index + 2 * stock_dim + 1] != True`: the first indicator of the
   * ticker equal to exactly 1 blocks its trades (a "suspended" flag in its source).
   */
  private tradingDisabled(day: number, i: number): boolean {
    const D = this.buyCost.length;
    return this.market.features[day * this.market.indicators.length * D + i] === 1;
  }
}

/**
 * Inserts ticker `i` into `list[0..count)` kept sorted by `direction * orders[.]`, after
 * equal keys for ascending (stable) and before them for descending (the reversed stable
 * order numpy gives). Returns the new count. Insertion sort: D is small and orders are few.
 */
function insertSorted(list: Int32Array, count: number, i: number, orders: Float64Array, direction: 1 | -1): number {
  const key = direction * orders[i]!;
  let at = count;
  if (direction === 1) {
    while (at > 0 && direction * orders[list[at - 1]!]! > key) at--;
  } else {
    while (at > 0 && direction * orders[list[at - 1]!]! >= key) at--;
  }
  list.copyWithin(at + 1, at, count);
  list[at] = i;
  return count + 1;
}
