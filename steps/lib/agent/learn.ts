/**
 * The on-policy training loop of SB3's OnPolicyAlgorithm.learn: collect n_steps,
 * update the progress (1 - timesteps / total_timesteps) that drives the schedules,
 * run the algorithm's update, log every log_interval updates. Between updates it
 * yields to the event loop so an abort is noticed at the next update boundary.
 */
import { Draws } from '../random.ts';
import type { Backend } from './backend.ts';
import { tfjsGemm } from './gemm.ts';
import { buildNetwork, initParams, type Network, type PolicySpec } from './network.ts';
import { createNormalizer, type ObservationNormalizer } from './normalizer.ts';
import { kernelTrainer } from './kernel/trainer.ts';
import { createOptimizer, type OptimizerSpec } from './optim.ts';
import { createCollector, type Environment, type Episode, type RolloutBuffer } from './rollout.ts';
import { gemmTrainer, type Learner, type PolicyTrainer } from './update.ts';

/** A value that may follow a schedule over the remaining progress (1 at the start, 0 at the end). */
export type Schedule = (progressRemaining: number) => number;

/** What every on-policy algorithm has (SB3's OnPolicyAlgorithm arguments). */
export interface OnPolicyHyperparameters {
  readonly learningRate: Schedule;
  readonly nSteps: number;
  readonly gamma: number;
  readonly gaeLambda: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  readonly maxGradNorm: number;
  readonly normalizeAdvantage: boolean;
}

export interface Algorithm {
  readonly name: 'ppo' | 'a2c';
  readonly hyperparameters: OnPolicyHyperparameters;
  readonly optimizer: OptimizerSpec;
  /** One update on a fresh rollout; returns the logged values by SB3 logger key (`train/value_loss`). */
  update(learner: Learner, buffer: RolloutBuffer, progressRemaining: number): Record<string, number>;
}

export interface LearnOptions {
  readonly env: Environment;
  readonly backend: Backend;
  readonly algorithm: Algorithm;
  readonly policy: Omit<PolicySpec, 'obsDim' | 'actionDim'>;
  readonly orthoInit: boolean;
  readonly totalTimesteps: number;
  readonly seed: number;
  readonly normalizeObservation: boolean;
  /** Updates between logged rows (SB3: 1 for PPO, 100 for A2C). */
  readonly logInterval: number;
  readonly signal?: AbortSignal;
  /** A logged row by SB3 logger key: time/total_timesteps, rollout/episodes, rollout/ep_rew_mean and the algorithm's values. */
  onLog?(row: Record<string, number>): void;
  /** After every update. */
  onProgress?(p: Progress): void;
}

export interface Progress {
  readonly timesteps: number;
  readonly totalTimesteps: number;
  /** Since training started. */
  readonly timestepsPerSecond: number;
  /** Wall time of the last rollout and of the last update. */
  readonly rolloutMs: number;
  readonly updateMs: number;
}

export interface Trained {
  readonly net: Network;
  readonly params: Float32Array;
  readonly normalizer: ObservationNormalizer | null;
  readonly timesteps: number;
  readonly episodes: readonly Episode[];
}

export async function learn(o: LearnOptions): Promise<Trained> {
  const { env, algorithm } = o;
  const { nSteps, gamma, gaeLambda } = algorithm.hyperparameters;
  const net = buildNetwork({ ...o.policy, obsDim: env.observationSize, actionDim: env.actionSize });
  const trainer = policyTrainer(o.backend, net, initParams(net, o.backend.tf, new Draws(o.seed, 'rl/init'), o.orthoInit), algorithm, nSteps);
  const { params } = trainer;
  const normalizer = o.normalizeObservation ? createNormalizer(env.observationSize) : null;
  const collector = createCollector(env, net, normalizer, new Draws(o.seed, 'rl/actions'));
  const learner: Learner = { net, trainer, draws: new Draws(o.seed, 'rl/minibatches') };

  const started = performance.now();
  let lastYield = started;
  let timesteps = 0;
  for (let iteration = 1; timesteps < o.totalTimesteps; iteration++) {
    const rolloutStart = performance.now();
    const buffer = collector.collect(params, nSteps, gamma, gaeLambda);
    timesteps += nSteps;
    const updateStart = performance.now();
    // SB3's progress_remaining, floored at 0: the last rollout may overshoot total_timesteps,
    // which in SB3 turns a linear schedule negative.
    const values = algorithm.update(learner, buffer, Math.max(0, 1 - timesteps / o.totalTimesteps));
    if (iteration % o.logInterval === 0 || timesteps >= o.totalTimesteps) {
      o.onLog?.({
        'time/total_timesteps': timesteps,
        'rollout/episodes': collector.episodes.length,
        // SB3's ep_rew_mean and ep_len_mean: over the last 100 completed episodes.
        'rollout/ep_rew_mean': recentMean(collector.episodes, (e) => e.return),
        'rollout/ep_len_mean': recentMean(collector.episodes, (e) => e.length),
        ...values,
      });
    }
    const now = performance.now();
    o.onProgress?.({
      timesteps,
      totalTimesteps: o.totalTimesteps,
      timestepsPerSecond: (timesteps * 1000) / (now - started),
      rolloutMs: updateStart - rolloutStart,
      updateMs: now - updateStart,
    });
    if (now - lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    if (o.signal?.aborted) {
      throw new Error(`${algorithm.name} training aborted after ${timesteps} of ${o.totalTimesteps} timesteps; nothing was saved`);
    }
  }
  return { net, params, normalizer, timesteps, episodes: collector.episodes };
}

/**
 * On the wasm backend the updates run on the MLP kernel (kernel/trainer.ts), whose fused SIMD
 * products beat a tfjs call per product on networks this small; the other backends run each
 * product as a tfjs op. A minibatch never exceeds the rollout, so nSteps bounds the kernel's buffers.
 */
export function policyTrainer(backend: Backend, net: Network, params: Float32Array, algorithm: Algorithm, nSteps: number): PolicyTrainer {
  const { maxGradNorm } = algorithm.hyperparameters;
  if (backend.name === 'wasm') return kernelTrainer(net, params, algorithm.optimizer, maxGradNorm, nSteps);
  return gemmTrainer(net, params, createOptimizer(algorithm.optimizer, net.size), tfjsGemm(backend.tf), maxGradNorm);
}

function recentMean(episodes: readonly Episode[], value: (e: Episode) => number): number {
  const recent = episodes.slice(-100);
  return recent.length === 0 ? NaN : recent.reduce((sum, e) => sum + value(e), 0) / recent.length;
}
