/**
 * Inputs for trade.alpaca tests: a saved agent whose actions the test chooses (fixed,
 * or a seeded network that reacts to the state), a FinRL feature table, and a
 * StepContext with a state folder, recording logs and metrics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNetwork, view } from '../../steps/lib/agent/network.ts';
import { saveModel } from '../../steps/lib/agent/model-io.ts';
import { orderedTable, type InputArtifact, type StepContext, type Table } from '../../engine/sdk.ts';
import { resolveParams, testStepContext, type TestStepContext } from '../../engine/sdk-testing.ts';
import plugin from '../../steps/trade.alpaca/plugin.ts';

export { tableInput } from '../backtest/step-context.ts';
import type { TradeAlpacaParams } from '../../steps/trade.alpaca/params.ts';

export const TICKERS = ['AAA', 'BBB', 'CCC', 'DDD'];
export const INDICATORS = ['macd', 'rsi_30'];

/** A policy network whose action is `fixed` whatever the state, or a seeded one that depends on it. */
export async function writeAgent(options: { fixed?: number[]; seed?: number; tickers?: string[]; indicators?: string[] } = {}): Promise<string> {
  const tickers = options.tickers ?? TICKERS;
  const indicators = options.indicators ?? INDICATORS;
  const D = tickers.length;
  const net = buildNetwork({ obsDim: 1 + 2 * D + indicators.length * D, actionDim: D, netArch: { pi: [6], vf: [4] }, activation: 'tanh', logStdInit: 0 });
  const params = new Float32Array(net.size);
  const head = net.pi[net.pi.length - 1]!;
  if (options.fixed) {
    view(params, head.bias).set(options.fixed);
  } else {
    let x = options.seed ?? 1;
    const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    // Hidden weights small enough that the state (prices ~100, cash ~1e5) moves the hidden units.
    const hidden = net.pi[0]!;
    view(params, hidden.kernel).forEach((_, i, k) => (k[i] = next() * 1e-4));
    view(params, head.kernel).forEach((_, i, k) => (k[i] = next()));
    view(params, head.bias).forEach((_, i, b) => (b[i] = next() * 0.3));
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'trade-agent-')), 'model');
  await saveModel(dir, net, params, {
    algorithm: 'ppo',
    tickers,
    tech_indicator_list: indicators,
    env: {},
    observation_normalizer: null,
    training: { total_timesteps: 0, timesteps: 0, seed: 0, backend: 'cpu', hyperparameters: {} },
  });
  return dir;
}

/** `days` business-ish dates from 2024-03-01, prices drifting per ticker, a turbulence column. */
export function featureTable(days: number, options: { turbulence?: number[]; tickers?: string[] } = {}): Table {
  const tickers = options.tickers ?? TICKERS;
  const date: string[] = [];
  const tic: string[] = [];
  const close: number[] = [];
  const macd: number[] = [];
  const rsi: number[] = [];
  const turbulence: number[] = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(2024, 2, 1 + d)).toISOString().slice(0, 10);
    tickers.forEach((t, i) => {
      date.push(day);
      tic.push(t);
      close.push(Math.round((50 + 40 * i + 3 * Math.sin(d + i) + d * (i - 1.5)) * 100) / 100);
      macd.push(Math.round(Math.cos(d * 0.7 + i) * 1000) / 1000);
      rsi.push(50 + 10 * Math.sin(d * 0.3 - i));
      turbulence.push(options.turbulence?.[d] ?? 10 + d);
    });
  }
  return orderedTable(['date', 'tic', 'close', 'macd', 'rsi_30', 'turbulence'], {
    date,
    tic,
    close: Float64Array.from(close),
    macd: Float64Array.from(macd),
    rsi_30: Float64Array.from(rsi),
    turbulence: Float64Array.from(turbulence),
  });
}

export interface TradeContext extends TestStepContext {
  /** `level: message` lines, as logged so far (secrets masked). */
  readonly logs: string[];
  /** The last value of each metric tracked so far. */
  readonly metrics: Map<string, number>;
}

/** The SDK's test context with a state folder (pass an earlier context's to rerun the same step). */
export function tradeContext(secrets: Record<string, string>, stateDir?: string): TradeContext {
  const ctx = testStepContext({ stepId: 'trade', secrets, stateDir });
  return Object.defineProperties(ctx, {
    logs: { get: () => ctx.recorded.logs.map((l) => `${l.level}: ${l.message}`) },
    metrics: { get: () => new Map(ctx.recorded.metrics.map((m) => [m.name, m.value])) },
  }) as TradeContext;
}

/** Runs the plugin as the engine would: params validated with defaults filled in. */
export function runTrade(ctx: StepContext, params: TradeAlpacaParams, inputs: Record<string, InputArtifact>) {
  return plugin.run(ctx, resolveParams(plugin, params as Record<string, unknown>), inputs);
}
