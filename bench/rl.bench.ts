/**
 * PPO training throughput with Stable-Baselines3's default configuration (n_steps
 * 2048, batch 64, 10 epochs, [64, 64] tanh pi and vf networks) in FinRL's
 * StockTradingEnv with 30 tickers and 8 indicators (observation 301, action 30), per
 * tfjs backend: timesteps/s, time per update split into rollout and optimisation,
 * peak RSS. The first update warms the JIT and is not timed. RL_BENCH_UPDATES sets
 * the timed updates (default 3 on wasm; the cpu backend always times 1, it is slow).
 */
import { initBackend, type Device } from '../steps/lib/agent/backend.ts';
import { tradingEnvironment } from '../steps/lib/agent/env-adapter.ts';
import { learn, type Progress } from '../steps/lib/agent/learn.ts';
import { ppoAlgorithm } from '../steps/lib/agent/ppo.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../steps/lib/trading-env/index.ts';
import { syntheticMarket } from '../tests/rl/market.ts';
import type { BenchRow } from './harness.ts';

/**
 * SB3 2.9.2 + torch 2.13.0 (CPU wheel) PPO("MlpPolicy") on a numpy gymnasium env with the same
 * dims and FinRL's trading rules, measured on this machine: median of 6 runs with 1 torch thread,
 * its fastest setting here (2 threads: 1358). How: steps/rl.ppo/README.md.
 */
const SB3_TIMESTEPS_PER_S = 1550;
const INDICATORS = ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'];
const TICKERS = Array.from({ length: 30 }, (_, i) => `T${String(i).padStart(2, '0')}`);
const N_STEPS = 2048;

async function measure(device: Device, timedUpdates: number, warmUp: boolean) {
  const data = syntheticMarket({ tickers: TICKERS, drifts: TICKERS.map(() => 0), days: 1000, indicators: INDICATORS, seed: 7 });
  const config = parseEnvConfig({ tech_indicator_list: INDICATORS });
  const env = new StockTradingEnv(marketFromTable(data, { indicators: INDICATORS, riskColumn: null }), config);
  const constant = (value: number) => () => value;
  const updates: Progress[] = [];
  const skip = warmUp ? 1 : 0;
  await learn({
    env: tradingEnvironment(env),
    backend: await initBackend(device),
    algorithm: ppoAlgorithm({
      learningRate: constant(3e-4),
      nSteps: N_STEPS,
      batchSize: 64,
      nEpochs: 10,
      gamma: 0.99,
      gaeLambda: 0.95,
      clipRange: constant(0.2),
      clipRangeVf: null,
      entCoef: 0,
      vfCoef: 0.5,
      maxGradNorm: 0.5,
      targetKl: null,
      normalizeAdvantage: true,
    }),
    policy: { netArch: { pi: [64, 64], vf: [64, 64] }, activation: 'tanh', logStdInit: 0 },
    orthoInit: true,
    totalTimesteps: N_STEPS * (timedUpdates + skip),
    seed: 0,
    normalizeObservation: false,
    logInterval: 1,
    onProgress: (p) => void updates.push(p),
  });
  const timed = updates.slice(skip);
  const rollout = timed.reduce((sum, p) => sum + p.rolloutMs, 0) / timed.length;
  const update = timed.reduce((sum, p) => sum + p.updateMs, 0) / timed.length;
  return { timestepsPerSecond: (N_STEPS * 1000) / (rollout + update), rollout, update };
}

export default async (): Promise<BenchRow[]> => {
  const timed = Number(process.env.RL_BENCH_UPDATES ?? 3);
  const rows: BenchRow[] = [];
  const round = (x: number) => Math.round(x * 10) / 10;
  for (const [device, updates, warmUp] of [['wasm', timed, true], ['cpu', 1, false]] as const) {
    const m = await measure(device, updates, warmUp);
    const target = device === 'wasm' ? 1.5 * SB3_TIMESTEPS_PER_S : undefined;
    rows.push({
      bench: 'rl',
      case: `PPO SB3 defaults, 30 tickers (obs 301), ${device} backend`,
      value: Math.round(m.timestepsPerSecond),
      unit: 'timesteps/s',
      ...(target === undefined
        ? {}
        : { target: `>= ${target} (1.5x SB3's ${SB3_TIMESTEPS_PER_S} measured here)`, ok: m.timestepsPerSecond >= target }),
    });
    rows.push({ bench: 'rl', case: `${device}: rollout per update (2048 env steps)`, value: round(m.rollout), unit: 'ms' });
    rows.push({ bench: 'rl', case: `${device}: optimisation per update (10 epochs x 32 minibatches)`, value: round(m.update), unit: 'ms' });
  }
  rows.push({ bench: 'rl', case: 'peak RSS of the bench process', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MiB' });
  return rows;
};
