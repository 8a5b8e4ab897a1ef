/**
 * One A2C update (SB3's A2C.train): a single gradient step on the whole rollout,
 * policy gradient -mean(advantage * log_prob) + value loss + entropy bonus.
 */
import type { Algorithm, OnPolicyHyperparameters } from './learn.ts';
import { a2cLoss } from './losses.ts';
import type { RolloutBuffer } from './rollout.ts';
import { explainedVariance, gather, meanStd, permutation, type Learner } from './update.ts';

export interface A2cHyperparameters extends OnPolicyHyperparameters {
  /** RMSprop's eps (SB3's rms_prop_eps). */
  readonly rmsPropEps: number;
}

/** A2C with SB3's optimizer (RMSprop, alpha 0.99) and logged values (SB3 logger keys). */
export function a2cAlgorithm(h: A2cHyperparameters): Algorithm {
  let nUpdates = 0;
  return {
    name: 'a2c',
    hyperparameters: h,
    optimizer: { kind: 'rmsprop', alpha: 0.99, eps: h.rmsPropEps },
    update(learner, buffer, progressRemaining) {
      const learningRate = h.learningRate(progressRemaining);
      const s = a2cUpdate(learner, buffer, { ...h, learningRate });
      nUpdates++;
      return {
        'train/policy_loss': s.policyLoss,
        'train/value_loss': s.valueLoss,
        'train/entropy_loss': s.entropyLoss,
        'train/explained_variance': s.explainedVariance,
        'train/learning_rate': learningRate,
        'train/std': s.std,
        'train/n_updates': nUpdates,
      };
    },
  };
}

export interface A2cSettings {
  readonly learningRate: number;
  readonly entCoef: number;
  readonly vfCoef: number;
  readonly normalizeAdvantage: boolean;
}

export interface A2cStats {
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly entropyLoss: number;
  readonly loss: number;
  readonly explainedVariance: number;
  readonly std: number;
}

export function a2cUpdate(learner: Learner, buffer: RolloutBuffer, s: A2cSettings): A2cStats {
  // SB3 reads the whole buffer as one batch in shuffled order.
  const rows = permutation(buffer.size, learner.draws);
  learner.trainer.setObservations(buffer.observations);
  const batch = gather(buffer, rows);
  const { terms, grads } = a2cLoss(learner.trainer.evaluate(rows), batch, s);
  learner.trainer.descend(grads, s.learningRate);
  return {
    policyLoss: terms.policyLoss,
    valueLoss: terms.valueLoss,
    entropyLoss: terms.entropyLoss,
    loss: terms.loss,
    explainedVariance: explainedVariance(buffer.values, buffer.returns),
    std: meanStd(learner),
  };
}
