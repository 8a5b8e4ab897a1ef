/**
 * The adapter's trainable variables as one flat Float32Array, for the JS optimizer
 * (a few tens of thousands of numbers: cheaper to update in JS than as tfjs ops).
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tf } from '../agent/backend.ts';
import type { NamedVariable } from './lora.ts';

export interface ParamsVector {
  readonly values: Float32Array;
  /** 1 where AdamW decays the element. */
  readonly decay: Uint8Array;
  /** Reads the gradients (same order as the variables) into one flat array. */
  flatten(grads: Record<string, TfCore.Tensor>): Float32Array;
  /** Writes `values` back into the variables. */
  assign(): void;
}

export function paramsVector(tf: Tf, variables: readonly NamedVariable[]): ParamsVector {
  const sizes = variables.map((v) => v.variable.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const values = new Float32Array(total);
  const decay = new Uint8Array(total);
  let offset = 0;
  const offsets = variables.map((v, i) => {
    values.set(v.variable.dataSync() as Float32Array, offset);
    if (v.decay) decay.fill(1, offset, offset + sizes[i]!);
    const at = offset;
    offset += sizes[i]!;
    return at;
  });
  return {
    values,
    decay,
    flatten(grads) {
      const flat = new Float32Array(total);
      variables.forEach((v, i) => flat.set(grads[v.variable.name]!.dataSync() as Float32Array, offsets[i]));
      return flat;
    },
    assign() {
      variables.forEach((v, i) => {
        tf.tidy(() => v.variable.assign(tf.tensor(values.subarray(offsets[i]!, offsets[i]! + sizes[i]!), v.variable.shape)));
      });
    },
  };
}
