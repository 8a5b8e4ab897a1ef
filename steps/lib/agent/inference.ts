/**
 * The network for one observation at a time (rollouts, backtests, live trading), in
 * plain JS: a tfjs call costs more than this whole forward pass. Kernels are copied
 * transposed (output-major) so each output is a contiguous dot product, computed
 * four outputs at a time; buffers are allocated once, nothing per call.
 */
import { addBiasAndActivate, view, type Dense, type Network } from './network.ts';

export interface Inference {
  /** Gaussian mean for `obs` (a buffer reused by the next call). */
  mean(obs: Float32Array): Float32Array;
  value(obs: Float32Array): number;
}

interface CompiledLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** [outputs, inputs] */
  readonly kernelT: Float32Array;
  readonly bias: Float32Array;
  readonly activation: Dense['activation'];
  readonly out: Float32Array;
}

/** Snapshot of the parameters: later changes to `params` are not seen. */
export function compileInference(net: Network, params: Float32Array): Inference {
  const pi = net.pi.map((layer) => compile(layer, params));
  const vf = net.vf.map((layer) => compile(layer, params));
  return {
    mean: (obs) => run(pi, obs),
    value: (obs) => run(vf, obs)[0]!,
  };
}

function compile(layer: Dense, params: Float32Array): CompiledLayer {
  const kernel = view(params, layer.kernel);
  const kernelT = new Float32Array(kernel.length);
  for (let i = 0; i < layer.inputs; i++) {
    for (let j = 0; j < layer.outputs; j++) kernelT[j * layer.inputs + i] = kernel[i * layer.outputs + j]!;
  }
  return {
    inputs: layer.inputs,
    outputs: layer.outputs,
    kernelT,
    bias: view(params, layer.bias).slice(),
    activation: layer.activation,
    out: new Float32Array(layer.outputs),
  };
}

function run(layers: readonly CompiledLayer[], obs: Float32Array): Float32Array {
  let x = obs;
  for (const layer of layers) {
    dense(layer, x);
    x = layer.out;
  }
  return x;
}

function dense(layer: CompiledLayer, x: Float32Array): void {
  const { inputs: k, outputs: n, kernelT: w, bias, out } = layer;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const r0 = j * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let p = 0; p < k; p++) {
      const xv = x[p]!;
      s0 += xv * w[r0 + p]!;
      s1 += xv * w[r1 + p]!;
      s2 += xv * w[r2 + p]!;
      s3 += xv * w[r3 + p]!;
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < n; j++) {
    const r = j * k;
    let s = 0;
    for (let p = 0; p < k; p++) s += x[p]! * w[r + p]!;
    out[j] = s;
  }
  addBiasAndActivate(out, bias, layer.activation);
}
