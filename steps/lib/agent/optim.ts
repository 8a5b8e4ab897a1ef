/**
 * torch.optim.Adam, AdamW and RMSprop (the optimizers of SB3's PPO and A2C and of the HF
 * Trainer) and torch.nn.utils.clip_grad_norm_, over the flat parameter array. Written here
 * rather than taken from tfjs because tfjs's RMSprop puts eps inside the square root
 * (sqrt(v + eps), torch: sqrt(v) + eps), which with SB3's eps 1e-5 changes every
 * small-gradient step, and because the parameters live in JS between tfjs calls.
 */
export interface Optimizer {
  /** One step on `grads * gradScale` (the scale is clip_grad_norm_'s coefficient, folded in to save a pass). */
  step(params: Float32Array, grads: Float32Array, learningRate: number, gradScale: number): void;
}

export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** An RL algorithm's optimizer as data, so a trainer can run it in JS (`createOptimizer`) or in its own kernel. */
export type OptimizerSpec = ({ readonly kind: 'adam' } & AdamOptions) | ({ readonly kind: 'rmsprop' } & RmspropOptions);

/** SB3's PPO: torch Adam with eps 1e-5. */
export const ADAM_SB3: OptimizerSpec = { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-5 };

export function createOptimizer(spec: OptimizerSpec, size: number): Optimizer {
  return spec.kind === 'adam' ? adam(size, spec) : rmsprop(size, spec);
}

export function adam(size: number, o: AdamOptions = ADAM_SB3 as AdamOptions): Optimizer {
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  let t = 0;
  return {
    step(params, grads, learningRate, gradScale) {
      t++;
      // Constants hoisted out of the loop: V8 does not hoist the option reads itself.
      const { beta1, beta2, eps } = o;
      const keep1 = 1 - beta1;
      const keep2 = 1 - beta2;
      const stepSize = learningRate / (1 - beta1 ** t);
      const invCorrection2 = 1 / Math.sqrt(1 - beta2 ** t);
      for (let i = 0; i < size; i++) {
        const g = grads[i]! * gradScale;
        const mi = beta1 * m[i]! + keep1 * g;
        const vi = beta2 * v[i]! + keep2 * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i]! -= (stepSize * mi) / (Math.sqrt(vi) * invCorrection2 + eps);
      }
    },
  };
}

/**
 * torch.optim.AdamW (the HF Trainer's optimizer): Adam with decoupled weight decay,
 * `p *= 1 - lr * weight_decay` before the Adam update, on the elements `decay` marks
 * (the Trainer exempts biases and LayerNorm weights).
 */
export function adamw(size: number, decay: Uint8Array, weightDecay: number, o: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8 }): Optimizer {
  const inner = adam(size, o);
  return {
    step(params, grads, learningRate, gradScale) {
      const shrink = 1 - learningRate * weightDecay;
      for (let i = 0; i < size; i++) if (decay[i] === 1) params[i]! *= shrink;
      inner.step(params, grads, learningRate, gradScale);
    },
  };
}

export interface RmspropOptions {
  readonly alpha: number;
  readonly eps: number;
}

/** SB3's A2C: torch RMSprop, alpha 0.99, eps 1e-5, no momentum, not centred. */
export function rmsprop(size: number, o: RmspropOptions = { alpha: 0.99, eps: 1e-5 }): Optimizer {
  const squareAvg = new Float32Array(size);
  return {
    step(params, grads, learningRate, gradScale) {
      const { alpha, eps } = o;
      for (let i = 0; i < size; i++) {
        const g = grads[i]! * gradScale;
        const s = alpha * squareAvg[i]! + (1 - alpha) * g * g;
        squareAvg[i] = s;
        params[i]! -= (learningRate * g) / (Math.sqrt(s) + eps);
      }
    },
  };
}

/** clip_grad_norm_'s coefficient: min(1, maxNorm / (global L2 norm + 1e-6)), by which the gradients are scaled. */
export function clipCoefficient(grads: Float32Array, maxNorm: number): number {
  // Two accumulators halve the add latency chain of this memory-light loop.
  let even = 0;
  let odd = 0;
  const n = grads.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    even += grads[i]! * grads[i]!;
    odd += grads[i + 1]! * grads[i + 1]!;
  }
  if (i < n) even += grads[i]! * grads[i]!;
  return Math.min(1, maxNorm / (Math.sqrt(even + odd) + 1e-6));
}
