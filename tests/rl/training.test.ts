/**
 * rl.ppo and rl.a2c end to end through their plugin run(): they learn a persistent
 * drift, are bit-for-bit reproducible, report curve/metrics/progress, and stop on abort.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Table } from '../../engine/table/table.ts';
import { loadAgent } from '../../steps/lib/agent/load.ts';
import { Draws } from '../../steps/lib/random.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig } from '../../steps/lib/trading-env/index.ts';
import a2c from '../../steps/rl.a2c/plugin.ts';
import ppo from '../../steps/rl.ppo/plugin.ts';
import { recordingContext, runPlugin } from './context.ts';
import { TICKERS, buyAndHoldReturn, driftMarket, episodeReturn } from './market.ts';

const data = driftMarket(60, 1);
const env = { tech_indicator_list: ['trend'] };
/** Small and fast: the determinism and reporting tests need updates, not a good agent. */
const tiny = { env, total_timesteps: 256, n_steps: 128, batch_size: 32, n_epochs: 2 };

const modelDir = (outputs: Record<string, unknown>) => (outputs.model as { path: string }).path;
const curveOf = (outputs: Record<string, unknown>) => (outputs.curve as { table: Table }).table;

function evaluationEnv(): StockTradingEnv {
  return new StockTradingEnv(marketFromTable(data, { indicators: ['trend'], riskColumn: null }), parseEnvConfig(env));
}

function randomPolicyReturn(e: StockTradingEnv, episodes: number): number {
  const draws = new Draws(99, 'random-policy');
  let total = 0;
  for (let k = 0; k < episodes; k++) total += episodeReturn(e, () => Float64Array.from(TICKERS, () => 2 * draws.uniform() - 1));
  return total / episodes;
}

test('PPO learns a persistent drift: beats a random policy and buy-and-hold of the worst asset', async () => {
  // SB3 defaults except a shorter rollout (more updates in a short run) and VecNormalize-style observations.
  const { outputs } = await runPlugin(ppo, { env, total_timesteps: 4096, n_steps: 1024, seed: 1, normalize_observation: true }, data);
  const e = evaluationEnv();
  const agent = await loadAgent(modelDir(outputs));
  const trained = episodeReturn(e, (obs) => agent.act(obs));
  const random = randomPolicyReturn(e, 20);
  const worst = Math.min(...TICKERS.map((_, i) => buyAndHoldReturn(e, i)));
  assert.ok(trained > random + 1, `trained ${trained} vs random ${random}`);
  assert.ok(trained > worst, `trained ${trained} vs buy-and-hold of the worst asset ${worst}`);
  // It learned the direction: buy the rising asset, sell the falling one.
  const firstAction = agent.act(e.reset());
  assert.ok(firstAction[0]! > 0, `action on the rising asset: ${firstAction[0]}`);
  agent.dispose();
});

test('A2C (SB3 defaults) learns the same drift', async () => {
  const { outputs } = await runPlugin(a2c, { env, total_timesteps: 4096, seed: 1, normalize_observation: true }, data);
  const e = evaluationEnv();
  const agent = await loadAgent(modelDir(outputs));
  const trained = episodeReturn(e, (obs) => agent.act(obs));
  assert.ok(trained > randomPolicyReturn(e, 20) + 1, `trained ${trained}`);
  assert.is(agent.policy.algorithm, 'a2c');
  agent.dispose();
});

for (const device of ['wasm', 'cpu'] as const) {
  test(`same seed and data give bit-identical weights (${device})`, async () => {
    const weights = async (seed: number) => {
      const { outputs } = await runPlugin(ppo, { ...tiny, device, seed, normalize_observation: true }, data);
      return readFileSync(join(modelDir(outputs), 'weights.bin'));
    };
    const first = await weights(5);
    const second = await weights(5);
    assert.ok(first.equals(second), 'same seed: identical weights.bin');
    assert.not.ok(first.equals(await weights(6)), 'another seed: different weights');
  });
}

test('curve, metrics, backend tag and progress are reported', async () => {
  const { outputs, ctx } = await runPlugin(ppo, { ...tiny, log_interval: 1 }, data);
  const curve = curveOf(outputs);
  assert.equal(curve.names, [
    'total_timesteps', 'episodes', 'ep_rew_mean', 'ep_len_mean', 'policy_gradient_loss', 'value_loss', 'entropy_loss', 'approx_kl',
    'clip_fraction', 'loss', 'explained_variance', 'learning_rate', 'clip_range', 'std', 'n_updates',
  ]);
  assert.equal(Array.from(curve.columns.total_timesteps as Float64Array), [128, 256]);
  assert.equal(Array.from(curve.columns.n_updates as Float64Array), [2, 4]);
  // 60 dates: an episode is 60 steps, so 4 episodes end within 256 steps.
  assert.equal(Array.from(curve.columns.episodes as Float64Array), [2, 4]);
  assert.equal(Array.from(curve.columns.ep_len_mean as Float64Array), [60, 60]);
  assert.equal(Array.from(curve.columns.learning_rate as Float64Array), [3e-4, 3e-4]);

  const { metrics, tags, progress, logs } = ctx.recorded;
  assert.is(tags.get('tfjs_backend'), 'wasm');
  assert.ok(logs.includes('tfjs backend: wasm (@tensorflow/tfjs-backend-wasm)'), logs.join('\n'));
  const at256 = metrics.filter((m) => m.step === 256).map((m) => m.name);
  for (const name of ['rollout/ep_rew_mean', 'rollout/ep_len_mean', 'train/policy_gradient_loss', 'train/value_loss', 'train/entropy_loss', 'train/approx_kl', 'train/clip_fraction', 'train/explained_variance', 'train/learning_rate']) {
    assert.ok(at256.includes(name), `metric ${name} at step 256`);
  }
  const last = progress[progress.length - 1]!;
  assert.is(last.fraction, 1);
  assert.match(last.message ?? '', /^\d+ steps\/s, ETA 0 ms$/);
});

test('learning rate follows lin_<x> and the model records the training', async () => {
  const { outputs } = await runPlugin(ppo, { ...tiny, learning_rate: 'lin_0.001' }, data);
  // progress_remaining after each rollout: 1 - 128/256, 1 - 256/256
  assert.equal(Array.from(curveOf(outputs).columns.learning_rate as Float64Array), [0.0005, 0]);
  const policy = JSON.parse(readFileSync(join(modelDir(outputs), 'policy.json'), 'utf8'));
  assert.equal(policy.tickers, TICKERS);
  assert.equal(policy.tech_indicator_list, ['trend']);
  assert.is(policy.env.hmax, 100);
  assert.equal(policy.training.backend, 'wasm');
  assert.equal([policy.training.timesteps, policy.training.hyperparameters.learning_rate], [256, 'lin_0.001']);
  assert.is(policy.observation_normalizer, null);
});

test('target_kl stops the epochs early', async () => {
  const { outputs } = await runPlugin(ppo, { ...tiny, n_epochs: 10, target_kl: 1e-9, learning_rate: 0.01 }, data);
  // The first minibatch of the first epoch has approx_kl 0 (nothing changed yet); a later one exceeds 1.5e-9.
  const updates = Array.from(curveOf(outputs).columns.n_updates as Float64Array);
  assert.ok(updates[0]! < 10, `epochs run in the first update: ${updates[0]}`);
});

test('an abort stops training at the next update boundary with an error', async () => {
  const controller = new AbortController();
  const ctx = recordingContext(controller.signal);
  const slowed = { ...ctx, progress: () => controller.abort() };
  try {
    await runPlugin(ppo, { ...tiny, total_timesteps: 100_000 }, data, slowed);
    assert.unreachable('training was not aborted');
  } catch (error) {
    assert.match((error as Error).message, /^ppo training aborted after \d+ of 100000 timesteps; nothing was saved$/);
  }
});

test('bad data is reported by the environment before training starts', async () => {
  try {
    await runPlugin(ppo, { ...tiny, tech_indicator_list: ['missing'] }, data);
    assert.unreachable('accepted a missing indicator column');
  } catch (error) {
    assert.match((error as Error).message, 'feature table has no column `missing`');
  }
});

test.run();
