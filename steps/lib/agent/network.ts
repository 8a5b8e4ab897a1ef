/**
 * The actor-critic MLP of Stable-Baselines3's MlpPolicy: separate `pi` and `vf`
 * towers over the flat observation, a linear action head (the Gaussian mean), a
 * linear value head and a state-independent log-std. All parameters live in one
 * flat Float32Array (one optimizer pass, one global grad norm, one weights file);
 * each tensor is a named slice of it. Kernels are [in, out] as in tfjs/Keras
 * (torch stores the transpose).
 */
import type { Tf } from './backend.ts';
import type { Gemm } from './gemm.ts';
import type { Draws } from '../random.ts';

export type Activation = 'tanh' | 'relu';

export interface PolicySpec {
  readonly obsDim: number;
  readonly actionDim: number;
  readonly netArch: { readonly pi: readonly number[]; readonly vf: readonly number[] };
  readonly activation: Activation;
  readonly logStdInit: number;
}

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

export interface Dense {
  readonly inputs: number;
  readonly outputs: number;
  readonly kernel: TensorSpec;
  readonly bias: TensorSpec;
  readonly activation: Activation | 'linear';
  /** Orthogonal-init gain (SB3: sqrt(2) hidden, 0.01 action head, 1 value head). */
  readonly gain: number;
}

export interface Network {
  readonly spec: PolicySpec;
  /** In storage order: the layout of the flat parameter array and of weights.bin. */
  readonly tensors: readonly TensorSpec[];
  readonly pi: readonly Dense[];
  readonly vf: readonly Dense[];
  readonly logStd: TensorSpec;
  readonly size: number;
}

export function buildNetwork(spec: PolicySpec): Network {
  const tensors: TensorSpec[] = [];
  let offset = 0;
  const tensor = (name: string, shape: number[]): TensorSpec => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = { name, shape, offset, size };
    offset += size;
    tensors.push(t);
    return t;
  };
  const tower = (prefix: string, widths: readonly number[], head: string, headSize: number, headGain: number): Dense[] => {
    const layers: Dense[] = [];
    let inputs = spec.obsDim;
    widths.forEach((outputs, i) => {
      const kernel = tensor(`${prefix}/${i}/kernel`, [inputs, outputs]);
      const bias = tensor(`${prefix}/${i}/bias`, [outputs]);
      layers.push({ inputs, outputs, kernel, bias, activation: spec.activation, gain: Math.SQRT2 });
      inputs = outputs;
    });
    const kernel = tensor(`${head}/kernel`, [inputs, headSize]);
    const bias = tensor(`${head}/bias`, [headSize]);
    layers.push({ inputs, outputs: headSize, kernel, bias, activation: 'linear', gain: headGain });
    return layers;
  };
  // SB3's module names: mlp_extractor.policy_net, mlp_extractor.value_net, action_net, value_net, log_std.
  const pi = tower('mlp_extractor/policy_net', spec.netArch.pi, 'action_net', spec.actionDim, 0.01);
  const vf = tower('mlp_extractor/value_net', spec.netArch.vf, 'value_net', 1, 1);
  const logStd = tensor('log_std', [spec.actionDim]);
  return { spec, tensors, pi, vf, logStd, size: offset };
}

export function view(params: Float32Array, t: TensorSpec): Float32Array {
  return params.subarray(t.offset, t.offset + t.size);
}

/**
 * SB3's ortho_init: orthogonal kernels scaled by the layer's gain and zero biases;
 * without it, torch's default Linear init (kernel and bias uniform in +-1/sqrt(fan_in)).
 * The log-std starts at log_std_init either way.
 */
export function initParams(net: Network, tf: Tf, draws: Draws, orthoInit = true): Float32Array {
  const params = new Float32Array(net.size);
  for (const layer of [...net.pi, ...net.vf]) {
    if (orthoInit) {
      view(params, layer.kernel).set(orthogonal(tf, draws, layer.inputs, layer.outputs, layer.gain));
    } else {
      const bound = 1 / Math.sqrt(layer.inputs);
      for (const t of [layer.kernel, layer.bias]) {
        const values = view(params, t);
        for (let i = 0; i < values.length; i++) values[i] = (2 * draws.uniform() - 1) * bound;
      }
    }
  }
  view(params, net.logStd).fill(net.spec.logStdInit);
  return params;
}

/**
 * torch.nn.init.orthogonal_ for a kernel [rows, cols]: QR of a standard normal
 * matrix of the tall orientation, columns sign-corrected by diag(R), times gain.
 */
function orthogonal(tf: Tf, draws: Draws, rows: number, cols: number, gain: number): Float32Array {
  const tall = rows >= cols;
  const [r, c] = tall ? [rows, cols] : [cols, rows];
  const gaussian = new Float32Array(r * c);
  for (let i = 0; i < gaussian.length; i++) gaussian[i] = draws.normal();
  const kernel = tf.tidy(() => {
    const [q, upper] = tf.linalg.qr(tf.tensor2d(gaussian, [r, c]));
    const signs = tf.sign(tf.sum(tf.mul(upper!, tf.eye(c)), 0));
    const fixed = tf.mul(tf.mul(q!, signs), gain);
    return tall ? fixed : tf.transpose(fixed);
  });
  const values = kernel.dataSync() as Float32Array;
  kernel.dispose();
  return values;
}

/** Activations of one forward pass, kept for the backward pass. */
export interface ForwardPass {
  readonly batch: number;
  readonly inputs: Float32Array;
  /** Output of each pi layer; the last is the Gaussian mean [batch, actionDim]. */
  readonly pi: Float32Array[];
  /** Output of each vf layer; the last is the value [batch, 1]. */
  readonly vf: Float32Array[];
}

export function forward(net: Network, params: Float32Array, inputs: Float32Array, batch: number, gemm: Gemm): ForwardPass {
  return {
    batch,
    inputs,
    pi: towerForward(net.pi, params, inputs, batch, gemm),
    vf: towerForward(net.vf, params, inputs, batch, gemm),
  };
}

export function meanOf(pass: ForwardPass): Float32Array {
  return pass.pi[pass.pi.length - 1]!;
}

export function valueOf(pass: ForwardPass): Float32Array {
  return pass.vf[pass.vf.length - 1]!;
}

function towerForward(layers: readonly Dense[], params: Float32Array, inputs: Float32Array, batch: number, gemm: Gemm): Float32Array[] {
  const outputs: Float32Array[] = [];
  let x = inputs;
  for (const layer of layers) {
    const z = gemm(x, view(params, layer.kernel), batch, layer.inputs, layer.outputs, false, false);
    addBiasAndActivate(z, view(params, layer.bias), layer.activation);
    outputs.push(z);
    x = z;
  }
  return outputs;
}

/** z[row, j] = activation(z[row, j] + bias[j]) in place, for every row. One pass: this runs on every layer output. */
export function addBiasAndActivate(z: Float32Array, bias: Float32Array, activation: Dense['activation']): void {
  const n = bias.length;
  for (let start = 0; start < z.length; start += n) {
    if (activation === 'tanh') for (let j = 0; j < n; j++) z[start + j] = tanh(z[start + j]! + bias[j]!);
    else if (activation === 'relu') for (let j = 0; j < n; j++) z[start + j] = Math.max(0, z[start + j]! + bias[j]!);
    else for (let j = 0; j < n; j++) z[start + j]! += bias[j]!;
  }
}

/**
 * tanh for float32 activations: Eigen's generic_fast_tanh_float (the rational
 * approximation TensorFlow and XNNPACK use), within 3e-7 of Math.tanh, about 4x
 * faster than V8's Math.tanh, which dominated the activation cost.
 */
export function tanh(x: number): number {
  if (Math.abs(x) < 0.0004) return x;
  const c = Math.min(Math.max(x, -7.90531110763549805), 7.90531110763549805);
  const x2 = c * c;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.2684346324390e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (c * p) / q;
}

/**
 * Backpropagates d(loss)/d(mean) [batch, actionDim] and d(loss)/d(value) [batch]
 * through both towers, writing the parameter gradients into `grads` (same layout as
 * params). The log-std gradient is the loss's business: it does not pass through here.
 */
export function backward(
  net: Network,
  params: Float32Array,
  pass: ForwardPass,
  dMean: Float32Array,
  dValue: Float32Array,
  grads: Float32Array,
  gemm: Gemm,
): void {
  towerBackward(net.pi, params, pass.inputs, pass.pi, pass.batch, dMean, grads, gemm);
  towerBackward(net.vf, params, pass.inputs, pass.vf, pass.batch, dValue, grads, gemm);
}

function towerBackward(
  layers: readonly Dense[],
  params: Float32Array,
  inputs: Float32Array,
  outputs: readonly Float32Array[],
  batch: number,
  dOutput: Float32Array,
  grads: Float32Array,
  gemm: Gemm,
): void {
  let dz = dOutput;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const below = l === 0 ? inputs : outputs[l - 1]!;
    view(grads, layer.kernel).set(gemm(below, dz, layer.inputs, batch, layer.outputs, true, false));
    biasGrad(dz, batch, view(grads, layer.bias));
    if (l === 0) break;
    const dBelow = gemm(dz, view(params, layer.kernel), batch, layer.outputs, layer.inputs, false, true);
    activationGrad(dBelow, below, layers[l - 1]!.activation);
    dz = dBelow;
  }
}

function biasGrad(dz: Float32Array, batch: number, out: Float32Array): void {
  const n = out.length;
  out.fill(0);
  for (let i = 0; i < batch; i++) for (let j = 0; j < n; j++) out[j]! += dz[i * n + j]!;
}

/** Turns d/d(output) into d/d(pre-activation) in place, from the layer's output. */
function activationGrad(d: Float32Array, output: Float32Array, activation: Dense['activation']): void {
  if (activation === 'tanh') for (let i = 0; i < d.length; i++) d[i]! *= 1 - output[i]! * output[i]!;
  else if (activation === 'relu') for (let i = 0; i < d.length; i++) if (output[i]! <= 0) d[i] = 0;
}
