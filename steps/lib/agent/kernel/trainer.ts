/**
 * The MLP policy's gradient updates on the WebAssembly SIMD kernel (mlp-wasm.ts, built from
 * assembly/index.ts): the forward and backward passes of both towers, the bias gradients, the
 * global grad norm and the optimizer step run in the kernel over one linear memory that holds
 * the parameters, gradients, optimizer state, activations and scratch; only the loss (a few
 * thousand numbers, float64 JS in losses.ts) runs outside it. The parameter array handed out is
 * a view of that memory, fixed in size, so it never detaches and the rollout reads it directly.
 */
import type { OutputGradients, PolicyOutputs } from '../losses.ts';
import { view, type Dense, type Network } from '../network.ts';
import type { OptimizerSpec } from '../optim.ts';
import type { PolicyTrainer } from '../update.ts';
import { MLP_WASM_BASE64 } from './mlp-wasm.ts';

export interface KernelExports {
  gemm(a: number, sai: number, sap: number, b: number, c: number, m: number, k: number, n: number, bias: number, act: number, gate: number): void;
  gatherRows(src: number, rows: number, count: number, width: number, dst: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  columnSums(x: number, out: number, rows: number, cols: number): void;
  sumOfSquares(x: number, count: number): number;
  adam(params: number, grads: number, m: number, v: number, count: number, gradScale: number, beta1: number, beta2: number, eps: number, stepSize: number, invCorrection2: number): void;
  rmsprop(params: number, grads: number, squareAvg: number, count: number, gradScale: number, alpha: number, eps: number, learningRate: number): void;
}

/** gemm's epilogues (assembly/index.ts). */
const EPILOGUE = { linear: 0, tanh: 1, relu: 2 } as const;
const GRADIENT_GATE = { linear: 0, tanh: 3, relu: 4 } as const;

const PAGE = 65_536;
/** gemm's last block of columns reads up to 7 floats past a matrix (assembly/index.ts). */
const SLACK = 32;

let compiled: WebAssembly.Module | undefined;

/** An instance of the kernel over a fresh memory of at least `bytes`; the memory never grows, so views of it stay valid. */
export function instantiateKernel(bytes: number): { kernel: KernelExports; heap: Float32Array } {
  compiled ??= new WebAssembly.Module(Buffer.from(MLP_WASM_BASE64, 'base64'));
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
  const kernel = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as KernelExports;
  return { kernel, heap: new Float32Array(memory.buffer) };
}

/** Multiply-adds of one update step on `batch` rows: forward, weight gradients, and input gradients above the first layer. */
export function multiplyAddsPerMinibatch(net: Network, batch: number): number {
  let total = 0;
  for (const tower of [net.pi, net.vf]) {
    tower.forEach((layer, l) => {
      const product = batch * layer.inputs * layer.outputs;
      total += l === 0 ? 2 * product : 3 * product;
    });
  }
  return total;
}

/** Lays out float32 buffers in the kernel's memory, 16-byte aligned, returning byte addresses. */
function allocator() {
  let top = 0;
  return {
    floats(count: number): number {
      const at = top;
      top += Math.ceil((count * 4) / 16) * 16;
      return at;
    },
    get bytes() {
      return top + SLACK;
    },
  };
}

interface LayerBuffers {
  readonly layer: Dense;
  /** The layer's output for the current minibatch [maxBatch, outputs]. */
  readonly output: number;
}

export interface KernelTrainer extends PolicyTrainer {
  /** The last `descend`'s parameter gradients, before clipping (network.ts layout). */
  readonly grads: Float32Array;
}

export function kernelTrainer(net: Network, initial: Float32Array, optimizer: OptimizerSpec, maxGradNorm: number, maxBatch: number): KernelTrainer {
  // The optimizer runs four floats at a time: the padding is zero in params and gradients, so it stays zero.
  const padded = Math.ceil(net.size / 4) * 4;
  const layout = allocator();
  const paramsAt = layout.floats(padded);
  const gradsAt = layout.floats(padded);
  const state = [layout.floats(padded), optimizer.kind === 'adam' ? layout.floats(padded) : 0] as const;
  const { obsDim } = net.spec;
  // The rollout's observations, copied once per update: gathering a minibatch's random rows from
  // them inside the kernel costs a fraction of gathering from the JS array (cache misses, one row at a time).
  const rolloutAt = layout.floats(maxBatch * obsDim);
  const rowsAt = layout.floats(maxBatch);
  const obsAt = layout.floats(maxBatch * obsDim);
  const towers = [net.pi, net.vf].map((layers) => layers.map((layer): LayerBuffers => ({ layer, output: layout.floats(maxBatch * layer.outputs) })));
  const widest = Math.max(...[...net.pi, ...net.vf].map((l) => Math.max(l.inputs, l.outputs)));
  const deltas = [layout.floats(maxBatch * widest), layout.floats(maxBatch * widest)] as const;
  const transposed = layout.floats(Math.max(...[...net.pi, ...net.vf].map((l) => l.inputs * l.outputs)));

  const { kernel: k, heap } = instantiateKernel(layout.bytes);
  const floatsAt = (byteAddress: number, count: number) => heap.subarray(byteAddress / 4, byteAddress / 4 + count);
  const params = floatsAt(paramsAt, net.size);
  const grads = floatsAt(gradsAt, net.size);
  params.set(initial);
  const rowIndices = new Int32Array(heap.buffer, rowsAt, maxBatch);
  let rolloutRows = 0;
  const address = (base: number, t: { offset: number }) => base + t.offset * 4;

  let batch = 0;
  let steps = 0;

  function towerForward(buffers: readonly LayerBuffers[]): void {
    let input = obsAt;
    for (const { layer, output } of buffers) {
      k.gemm(input, layer.inputs, 1, address(paramsAt, layer.kernel), output, batch, layer.inputs, layer.outputs, address(paramsAt, layer.bias), EPILOGUE[layer.activation], 0);
      input = output;
    }
  }

  /** `delta` holds d(loss)/d(tower output); leaves the tower's parameter gradients in the gradient buffer. */
  function towerBackward(buffers: readonly LayerBuffers[]): void {
    let delta = 0;
    for (let l = buffers.length - 1; l >= 0; l--) {
      const { layer } = buffers[l]!;
      const below = l === 0 ? obsAt : buffers[l - 1]!.output;
      // dW = below^T delta: below read transposed through its strides.
      k.gemm(below, 1, layer.inputs, deltas[delta]!, address(gradsAt, layer.kernel), layer.inputs, batch, layer.outputs, 0, EPILOGUE.linear, 0);
      k.columnSums(deltas[delta]!, address(gradsAt, layer.bias), batch, layer.outputs);
      if (l === 0) break;
      // d(below) = delta W^T, gated by the activation's derivative at the layer below's output.
      k.transpose(address(paramsAt, layer.kernel), transposed, layer.inputs, layer.outputs);
      k.gemm(deltas[delta]!, layer.outputs, 1, transposed, deltas[1 - delta]!, batch, layer.outputs, layer.inputs, 0, GRADIENT_GATE[buffers[l - 1]!.layer.activation], below);
      delta = 1 - delta;
    }
  }

  function optimizerStep(learningRate: number, gradScale: number): void {
    steps++;
    if (optimizer.kind === 'adam') {
      const { beta1, beta2, eps } = optimizer;
      k.adam(paramsAt, gradsAt, state[0], state[1], padded, gradScale, beta1, beta2, eps, learningRate / (1 - beta1 ** steps), 1 / Math.sqrt(1 - beta2 ** steps));
    } else {
      k.rmsprop(paramsAt, gradsAt, state[0], padded, gradScale, optimizer.alpha, optimizer.eps, learningRate);
    }
  }

  return {
    params,
    grads,
    setObservations(observations: Float32Array): void {
      rolloutRows = observations.length / obsDim;
      if (rolloutRows > maxBatch) throw new Error(`rollout of ${rolloutRows} rows exceeds the kernel's ${maxBatch}`);
      floatsAt(rolloutAt, observations.length).set(observations);
    },
    evaluate(rows: Int32Array): PolicyOutputs {
      if (rows.length > maxBatch) throw new Error(`minibatch of ${rows.length} rows exceeds the kernel's ${maxBatch}`);
      for (let i = 0; i < rows.length; i++) {
        if (!(rows[i]! >= 0 && rows[i]! < rolloutRows)) throw new Error(`row ${rows[i]} is outside the rollout's ${rolloutRows} observations`);
        rowIndices[i] = rows[i]!;
      }
      batch = rows.length;
      k.gatherRows(rolloutAt, rowsAt, batch, obsDim, obsAt);
      for (const tower of towers) towerForward(tower);
      const [pi, vf] = towers as [LayerBuffers[], LayerBuffers[]];
      return {
        mean: floatsAt(pi[pi.length - 1]!.output, batch * net.spec.actionDim),
        value: floatsAt(vf[vf.length - 1]!.output, batch),
        logStd: view(params, net.logStd),
      };
    },
    descend(outputGrads: OutputGradients, learningRate: number): void {
      const [pi, vf] = towers as [LayerBuffers[], LayerBuffers[]];
      floatsAt(deltas[0], outputGrads.mean.length).set(outputGrads.mean);
      towerBackward(pi);
      floatsAt(deltas[0], outputGrads.value.length).set(outputGrads.value);
      towerBackward(vf);
      view(grads, net.logStd).set(outputGrads.logStd);
      // clip_grad_norm_: min(1, max_norm / (global L2 norm + 1e-6)).
      const gradScale = Math.min(1, maxGradNorm / (Math.sqrt(k.sumOfSquares(gradsAt, padded)) + 1e-6));
      optimizerStep(learningRate, gradScale);
    },
  };
}
