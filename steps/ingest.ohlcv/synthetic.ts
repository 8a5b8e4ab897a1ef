/**
 * Seeded synthetic market: the offline default source.
 *
 * One market factor follows a three-state Markov regime (bull, bear, crisis), each
 * with its own drift and volatility. Every stock is a geometric Brownian motion with
 * its own beta to that factor, idiosyncratic volatility and drift; `^VIX` is a
 * mean-reverting log process pulled toward a regime-dependent level and pushed up by
 * market sell-offs; index tickers (`^DJI`, `^GSPC`, any other `^...`) follow the market
 * factor itself, so a baseline fetched in its own step agrees with the stocks.
 *
 * Randomness comes from named seeded streams (../lib/random.ts): the market
 * stream drives regimes, the factor, VIX and indexes; each stock has its own stream,
 * so a ticker's prices don't depend on which other tickers are requested. Paths start
 * on `start`: the same seed and start give the same values on common dates whatever `end`.
 */
import { Draws } from '../lib/random.ts';

const TRADING_DAYS = 252;
const DT = 1 / TRADING_DAYS;

interface RegimeSpec {
  name: string;
  /** Annual drift and volatility of the market factor. */
  drift: number;
  vol: number;
  /** Multiplies every stock's idiosyncratic volatility. */
  idioScale: number;
  volumeScale: number;
  /** Level VIX reverts to. */
  vixLevel: number;
  /** Daily transition probabilities to [bull, bear, crisis]. */
  next: readonly [number, number, number];
}

/** Mean durations: bull ~200 trading days, bear ~40, crisis ~20. */
export const REGIMES: readonly RegimeSpec[] = [
  { name: 'bull', drift: 0.18, vol: 0.12, idioScale: 1.0, volumeScale: 1.0, vixLevel: 14, next: [0.995, 0.004, 0.001] },
  { name: 'bear', drift: -0.2, vol: 0.22, idioScale: 1.3, volumeScale: 1.3, vixLevel: 26, next: [0.015, 0.975, 0.01] },
  { name: 'crisis', drift: -0.1, vol: 0.45, idioScale: 1.8, volumeScale: 1.8, vixLevel: 40, next: [0.02, 0.03, 0.95] },
];
const INITIAL_REGIME: readonly [number, number, number] = [0.7, 0.2, 0.1];

const VIX_REVERSION = 0.15;
const VIX_SHOCK = 0.06;
/** Correlation of VIX shocks with market shocks: sell-offs lift VIX. */
const VIX_MARKET_CORRELATION = -0.7;
const INDEX_VOLUME = 3e8;

const INDEX_BASE: Readonly<Record<string, number>> = { '^DJI': 25_000, '^GSPC': 3_000, '^IXIC': 9_000, '^NDX': 9_000, '^RUT': 1_600 };

type TickerKind = 'stock' | 'vix' | 'index';

function tickerKind(tic: string): TickerKind {
  if (tic === '^VIX') return 'vix';
  return tic.startsWith('^') ? 'index' : 'stock';
}

/** One ticker's bars, one entry per simulated day. */
export interface Bars {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export interface Market {
  /** Regime index into REGIMES per day. */
  regime: Uint8Array;
  /** Log return of the market factor per day. */
  factorReturn: Float64Array;
  /** The factor as an index starting from 1. */
  index: Bars;
  vix: Bars;
}

function emptyBars(days: number): Bars {
  return {
    open: new Float64Array(days),
    high: new Float64Array(days),
    low: new Float64Array(days),
    close: new Float64Array(days),
    volume: new Float64Array(days),
  };
}

/**
 * A day's bar around a close-to-close move: the open gaps from the previous close,
 * high and low reach beyond both by a half-normal excursion scaled by the day's vol.
 */
function writeBar(bars: Bars, t: number, previousClose: number, close: number, dailyVol: number, draws: Draws): void {
  const open = previousClose * Math.exp(0.2 * dailyVol * draws.normal());
  bars.open[t] = open;
  bars.close[t] = close;
  bars.high[t] = Math.max(open, close) * Math.exp(0.5 * dailyVol * Math.abs(draws.normal()));
  bars.low[t] = Math.min(open, close) * Math.exp(-0.5 * dailyVol * Math.abs(draws.normal()));
}

/** Volume rises with the size of the move and in turbulent regimes. */
function volumeFor(base: number, regime: RegimeSpec, shockSize: number, draws: Draws): number {
  return Math.round(base * regime.volumeScale * Math.exp(0.25 * draws.normal() + 0.4 * (shockSize - 0.8)));
}

export function simulateMarket(seed: number, days: number): Market {
  const draws = new Draws(seed, 'market');
  const market: Market = {
    regime: new Uint8Array(days),
    factorReturn: new Float64Array(days),
    index: emptyBars(days),
    vix: emptyBars(days),
  };
  let regime = draws.pick(INITIAL_REGIME);
  let level = 1;
  let logVix = Math.log(REGIMES[regime]!.vixLevel);
  for (let t = 0; t < days; t++) {
    if (t > 0) regime = draws.pick(REGIMES[regime]!.next);
    const spec = REGIMES[regime]!;
    const shock = draws.normal();
    const dailyVol = spec.vol * Math.sqrt(DT);
    const r = (spec.drift - 0.5 * spec.vol * spec.vol) * DT + dailyVol * shock;
    market.regime[t] = regime;
    market.factorReturn[t] = r;

    const close = level * Math.exp(r);
    writeBar(market.index, t, level, close, dailyVol, draws);
    market.index.volume[t] = volumeFor(INDEX_VOLUME, spec, Math.abs(shock), draws);
    level = close;

    const vixShock = VIX_MARKET_CORRELATION * shock + Math.sqrt(1 - VIX_MARKET_CORRELATION ** 2) * draws.normal();
    const nextLogVix = logVix + VIX_REVERSION * (Math.log(spec.vixLevel) - logVix) + VIX_SHOCK * vixShock;
    writeBar(market.vix, t, Math.exp(logVix), Math.exp(nextLogVix), VIX_SHOCK, draws);
    // Yahoo reports no volume for ^VIX.
    market.vix.volume[t] = 0;
    logVix = nextLogVix;
  }
  return market;
}

interface StockProfile {
  beta: number;
  /** Annual idiosyncratic volatility in a bull regime. */
  idioVol: number;
  /** Annual drift on top of beta times the market's. */
  alpha: number;
  startPrice: number;
  baseVolume: number;
}

function logUniform(draws: Draws, low: number, high: number): number {
  return Math.exp(Math.log(low) + draws.uniform() * (Math.log(high) - Math.log(low)));
}

function drawProfile(draws: Draws): StockProfile {
  return {
    beta: 0.6 + 0.9 * draws.uniform(),
    idioVol: 0.12 + 0.28 * draws.uniform(),
    alpha: 0.03 + 0.06 * draws.normal(),
    startPrice: logUniform(draws, 20, 400),
    baseVolume: logUniform(draws, 5e5, 3e7),
  };
}

export function simulateStock(seed: number, tic: string, market: Market): { profile: StockProfile; bars: Bars } {
  const draws = new Draws(seed, `stock/${tic}`);
  const profile = drawProfile(draws);
  const days = market.regime.length;
  const bars = emptyBars(days);
  let previous = profile.startPrice;
  for (let t = 0; t < days; t++) {
    const spec = REGIMES[market.regime[t]!]!;
    const idio = profile.idioVol * spec.idioScale;
    const shock = draws.normal();
    const r = profile.alpha * DT + profile.beta * market.factorReturn[t]! + idio * Math.sqrt(DT) * shock - 0.5 * idio * idio * DT;
    const dailyVol = Math.sqrt((profile.beta * spec.vol) ** 2 + idio * idio) * Math.sqrt(DT);
    const close = previous * Math.exp(r);
    writeBar(bars, t, previous, close, dailyVol, draws);
    bars.volume[t] = volumeFor(profile.baseVolume, spec, Math.abs(r) / dailyVol, draws);
    previous = close;
  }
  return { profile, bars };
}

function scaled(bars: Bars, factor: number): Bars {
  const scale = (a: Float64Array) => a.map((v) => v * factor);
  return { open: scale(bars.open), high: scale(bars.high), low: scale(bars.low), close: scale(bars.close), volume: bars.volume };
}

/** Bars for every requested ticker over `days` simulated business days. */
export function simulate(seed: number, tickers: readonly string[], days: number): Map<string, Bars> {
  const market = simulateMarket(seed, days);
  const out = new Map<string, Bars>();
  for (const tic of tickers) {
    const kind = tickerKind(tic);
    if (kind === 'vix') out.set(tic, market.vix);
    else if (kind === 'index') out.set(tic, scaled(market.index, INDEX_BASE[tic] ?? 1_000));
    else out.set(tic, simulateStock(seed, tic, market).bars);
  }
  return out;
}
