/**
 * Observation normalisation as SB3's VecNormalize(norm_obs=True, norm_reward=False):
 * a running mean/variance (RunningMeanStd, parallel update, initial count 1e-4)
 * updated with every observation the environment returns while training, applied
 * as clip((obs - mean) / sqrt(var + 1e-8), -10, 10). Stored with the model.
 */
export interface NormalizerState {
  readonly mean: number[];
  readonly var: number[];
  readonly count: number;
  readonly clipObs: number;
  readonly epsilon: number;
}

export interface ObservationNormalizer {
  /** Folds one observation into the running statistics. */
  update(obs: Float64Array): void;
  /** Writes the normalised observation into `out`. */
  normalize(obs: Float64Array, out: Float32Array): void;
  state(): NormalizerState;
}

export function createNormalizer(size: number, clipObs = 10, epsilon = 1e-8): ObservationNormalizer {
  return normalizerFrom({ mean: new Array(size).fill(0), var: new Array(size).fill(1), count: 1e-4, clipObs, epsilon });
}

export function normalizerFrom(s: NormalizerState): ObservationNormalizer {
  const mean = Float64Array.from(s.mean);
  const variance = Float64Array.from(s.var);
  let count = s.count;
  return {
    update(obs) {
      // A batch of one observation: batch mean = obs, batch variance = 0.
      const total = count + 1;
      for (let i = 0; i < mean.length; i++) {
        const delta = obs[i]! - mean[i]!;
        mean[i]! += delta / total;
        variance[i] = (variance[i]! * count + (delta * delta * count) / total) / total;
      }
      count = total;
    },
    normalize(obs, out) {
      for (let i = 0; i < mean.length; i++) {
        const z = (obs[i]! - mean[i]!) / Math.sqrt(variance[i]! + s.epsilon);
        out[i] = Math.min(Math.max(z, -s.clipObs), s.clipObs);
      }
    },
    state: () => ({ mean: Array.from(mean), var: Array.from(variance), count, clipObs: s.clipObs, epsilon: s.epsilon }),
  };
}
