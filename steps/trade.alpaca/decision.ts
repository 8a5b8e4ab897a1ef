/**
 * One trading decision, the FinRL way, from the broker's cash and shares and the last
 * date of the features: the agent's deterministic action on FinRL's state, executed by
 * the environment's own trade rules (so the shares equal what `backtest` trades from
 * the same account), then the deployment's risk limits. Pure: no I/O.
 */
import { TradeRules, writeObservation, type EnvConfig, type Market } from '../lib/trading-env/index.ts';

export interface Trade {
  tic: string;
  side: 'buy' | 'sell';
  /** Shares after the risk limits (0: clipped away, not sent). */
  qty: number;
  /** The shares the environment's rules traded, before the risk limits. */
  decided: number;
  /** Why qty differs from decided; empty when it does not. */
  clip: string;
}

export interface Decision {
  date: string;
  turbulence: number | null;
  /** Turbulence at or above the threshold: everything sold, nothing bought. */
  liquidate: boolean;
  /** Sells first, then buys, each in ticker order; tickers with no trade are left out. */
  trades: Trade[];
}

export interface RiskLimits {
  maxOrderNotional?: number;
  maxPositionWeight?: number;
}

/**
 * The environment's trades on the market's last date from `cash` and `shares`
 * (per market ticker): exactly what StockTradingEnv.step would execute there.
 */
function decideShares(market: Market, config: EnvConfig, act: (state: Float64Array) => ArrayLike<number>, cash: number, shares: Float64Array): { executed: Float64Array; liquidate: boolean } {
  const D = market.tickers.length;
  const day = market.dates.length - 1;
  const rules = new TradeRules(market, config);
  const state = new Float64Array(1 + 2 * D + market.indicators.length * D);
  writeObservation(state, market, day, cash, shares);
  const orders = new Float64Array(D);
  rules.ordersFromActions(act(state), orders, day);
  const liquidate = market.turbulence !== null && rules.liquidates(market.turbulence[day]!);
  const executed = new Float64Array(D);
  rules.execute({ cash, cost: 0, trades: 0, holdings: Float64Array.from(shares) }, orders, day, liquidate, executed);
  return { executed, liquidate };
}

/** The decision on the last date, with the risk limits applied at its closes and the account's equity. */
export function decide(
  market: Market,
  config: EnvConfig,
  act: (state: Float64Array) => ArrayLike<number>,
  account: { cash: number; equity: number; shares: Float64Array },
  limits: RiskLimits,
): Decision {
  const day = market.dates.length - 1;
  const D = market.tickers.length;
  const { executed, liquidate } = decideShares(market, config, act, account.cash, account.shares);
  const trades: Trade[] = [];
  for (const side of ['sell', 'buy'] as const) {
    for (let i = 0; i < D; i++) {
      const n = executed[i]!;
      if (side === 'sell' ? n >= 0 : n <= 0) continue;
      const close = market.close[day * D + i]!;
      trades.push(clipped(market.tickers[i]!, side, Math.abs(n), close, account.shares[i]!, account.equity, limits));
    }
  }
  return { date: market.dates[day]!, turbulence: market.turbulence?.[day] ?? null, liquidate, trades };
}

function clipped(tic: string, side: 'buy' | 'sell', decided: number, close: number, held: number, equity: number, limits: RiskLimits): Trade {
  let qty = decided;
  const clips: string[] = [];
  if (limits.maxOrderNotional !== undefined && qty * close > limits.maxOrderNotional) {
    qty = Math.floor(limits.maxOrderNotional / close);
    clips.push(`max_order_notional ${limits.maxOrderNotional}`);
  }
  if (side === 'buy' && limits.maxPositionWeight !== undefined) {
    const room = Math.max(0, Math.floor((limits.maxPositionWeight * equity) / close - held));
    if (qty > room) {
      qty = room;
      clips.push(`max_position_weight ${limits.maxPositionWeight}`);
    }
  }
  const clip = clips.length === 0 ? '' : `clipped from ${decided} to ${qty} shares by ${clips.join(' and ')} (close ${close})`;
  return { tic, side, qty, decided, clip };
}
