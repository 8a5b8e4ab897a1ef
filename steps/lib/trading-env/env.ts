/**
 * FinRL's StockTradingEnv (finrl/meta/env_stock_trading/env_stocktrading.py) over
 * typed arrays. Same state, same trade rules, same float arithmetic in the same order,
 * so trajectories match FinRL's to the bit; see README.md for the layout and the quirks
 * kept on purpose. Nothing is allocated per step: state, orders and results live in
 * buffers created here and overwritten by every step.
 */
import { perTicker, type EnvConfig } from './config.ts';
import type { Market } from './market.ts';
import { numpySum } from './python-arith.ts';
import { TradeRules, writeObservation, type Book } from './trade-rules.ts';

export interface EnvStepResult {
  /** Change of total asset value times reward_scaling; the terminal step repeats the previous one. */
  reward: number;
  /** True on the step taken on the last date: it trades nothing. */
  terminal: boolean;
}

export interface EnvOptions {
  /**
   * Where the state is written (length stateDim). Pass a subarray of one large buffer
   * to lay several environments' observations out contiguously for batched inference.
   */
  state?: Float64Array;
}

export class StockTradingEnv implements Book {
  readonly market: Market;
  /** Number of tickers D (= action dimension). */
  readonly stockDim: number;
  /** 1 + 2D + K*D. */
  readonly stateDim: number;
  readonly days: number;
  /**
   * `[cash, close[D], shares[D], feature_0[D], ..., feature_{K-1}[D]]` for the current day.
   * Rewritten by reset() and step(); read it, copy it, never write it (the env does not read it back).
   */
  readonly state: Float64Array;
  /** Shares executed by the last step (negative = sold), like FinRL's actions_memory entry. */
  readonly executed: Float64Array;
  /** Total asset value per day reached so far: assetMemory[0..day]. */
  readonly assetMemory: Float64Array;
  /** Unscaled reward of each non-terminal step so far: rewardsMemory[0..day-1] (FinRL's rewards_memory). */
  readonly rewardsMemory: Float64Array;

  /** Index of the current date in market.dates. */
  day = 0;
  cash = 0;
  /** Transaction cost paid since reset. */
  cost = 0;
  /** Cost paid by the last step. */
  stepCost = 0;
  /** Trades since reset, counted as FinRL counts them (a buy attempt counts even when no cash is left). */
  trades = 0;
  /** Turbulence read on the previous step (0 after reset), compared with the threshold. */
  turbulence = 0;
  /** Last reward returned (scaled). */
  reward = 0;

  private readonly config: EnvConfig;
  private readonly rules: TradeRules;
  private readonly initialShares: Float64Array;
  /** buy_cost_pct per ticker (read-only). */
  readonly buyCost: Float64Array;
  private readonly shares: Float64Array;
  private readonly orders: Float64Array;
  private readonly result: EnvStepResult = { reward: 0, terminal: false };

  constructor(market: Market, config: EnvConfig, options: EnvOptions = {}) {
    const D = market.tickers.length;
    const K = market.indicators.length;
    // FinRL reads the first indicator as a "cannot trade" flag, so it needs one.
    if (K === 0) throw new Error('StockTradingEnv needs at least one indicator in tech_indicator_list');
    if (market.dates.length < 2) throw new Error(`StockTradingEnv needs at least 2 dates, the data has ${market.dates.length}`);
    if (config.turbulence_threshold !== null && market.turbulence === null) {
      throw new Error('turbulence_threshold is set but the market was built without its risk column');
    }
    this.market = market;
    this.config = config;
    this.stockDim = D;
    this.stateDim = 1 + 2 * D + K * D;
    this.days = market.dates.length;
    this.rules = new TradeRules(market, config);
    this.initialShares = perTicker(config.num_stock_shares, market.tickers, 'num_stock_shares');
    this.buyCost = this.rules.buyCost;
    if (options.state && options.state.length !== this.stateDim) {
      throw new Error(`state buffer has length ${options.state.length}, expected stateDim ${this.stateDim}`);
    }
    this.state = options.state ?? new Float64Array(this.stateDim);
    this.executed = new Float64Array(D);
    this.assetMemory = new Float64Array(this.days);
    this.rewardsMemory = new Float64Array(this.days - 1);
    this.shares = new Float64Array(D);
    this.orders = new Float64Array(D);
    this.reset();
  }

  /** Shares held now (a read-only view). */
  get holdings(): Float64Array {
    return this.shares;
  }

  /** Back to the first date with initial_amount and num_stock_shares; returns the state buffer. */
  reset(): Float64Array {
    this.day = 0;
    this.cash = this.config.initial_amount;
    this.shares.set(this.initialShares);
    this.cost = 0;
    this.stepCost = 0;
    this.trades = 0;
    this.turbulence = 0;
    this.reward = 0;
    this.executed.fill(0);
    this.writeState();
    // np.sum(num_stock_shares * close) as FinRL computes the first asset value; orders is free scratch here.
    const held = this.orders;
    for (let i = 0; i < this.stockDim; i++) held[i] = this.initialShares[i]! * this.market.close[i]!;
    this.assetMemory[0] = this.config.initial_amount + numpySum(held);
    return this.state;
  }

  /**
   * One step of FinRL's env: actions (length D, nominally in [-1, 1]; not clipped here,
   * as in FinRL, where SB3 clips) times hmax, truncated toward zero, are share orders.
   * The returned object is reused by the next call.
   */
  step(actions: Float64Array): EnvStepResult {
    if (this.isTerminal()) return this.terminalResult();
    this.rules.ordersFromActions(actions, this.orders, this.day);
    return this.trade();
  }

  /**
   * A step with whole-share orders instead of actions (no hmax scaling), executed with
   * exactly the env's rules: sells first, cash-limited buys, costs, turbulence liquidation.
   * Baseline policies (buy-and-hold, min-variance) rebalance through this.
   */
  stepShares(orders: Float64Array): EnvStepResult {
    if (this.isTerminal()) return this.terminalResult();
    for (let i = 0; i < this.stockDim; i++) {
      const n = orders[i]!;
      if (!Number.isInteger(n)) throw new Error(`order ${i} (${this.market.tickers[i]}) must be a whole number of shares, got ${n}`);
      this.orders[i] = n;
    }
    return this.trade();
  }

  /** Total asset value at today's close: cash + sum(close * shares), summed as FinRL does. */
  totalAsset(): number {
    const close = this.market.close;
    const base = this.day * this.stockDim;
    let held = 0;
    for (let i = 0; i < this.stockDim; i++) held += close[base + i]! * this.shares[i]!;
    return this.cash + held;
  }

  private isTerminal(): boolean {
    return this.day >= this.days - 1;
  }

  private terminalResult(): EnvStepResult {
    this.executed.fill(0);
    this.stepCost = 0;
    this.result.reward = this.reward;
    this.result.terminal = true;
    return this.result;
  }

  private trade(): EnvStepResult {
    const liquidate = this.rules.liquidates(this.turbulence);
    const begin = this.totalAsset();
    const costBefore = this.cost;
    this.rules.execute(this, this.orders, this.day, liquidate, this.executed);

    this.day += 1;
    if (this.rules.threshold !== null) this.turbulence = this.market.turbulence![this.day]!;
    this.writeState();
    const end = this.totalAsset();
    this.assetMemory[this.day] = end;
    const change = end - begin;
    this.rewardsMemory[this.day - 1] = change;
    this.reward = change * this.config.reward_scaling;
    this.stepCost = this.cost - costBefore;
    this.result.reward = this.reward;
    this.result.terminal = false;
    return this.result;
  }

  private writeState(): void {
    writeObservation(this.state, this.market, this.day, this.cash, this.shares);
  }
}
