/**
 * Matrix products for the policy network, on row-major Float32Arrays. The network
 * is small, so a tfjs call is dominated by its fixed overhead: products below
 * SMALL_PRODUCT multiply-adds run in plain JS, the rest on the tfjs backend.
 * Transposes are explicit tf.transpose ops because the wasm backend's matMul with
 * transpose flags takes a scalar path about 5x slower than XNNPACK's (and measured
 * faster than transposing in JS before the upload).
 */
import type { Tf } from './backend.ts';

/**
 * C = op(A) · op(B) with C m×n and inner size k. `a` holds A as m×k, or k×m when
 * `transA`; `b` holds B as k×n, or n×k when `transB`.
 */
export type Gemm = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean) => Float32Array;

/** Below this many multiply-adds plain JS beats a tfjs call (about 40 µs of overhead on wasm). */
const SMALL_PRODUCT = 16_384;

export function tfjsGemm(tf: Tf): Gemm {
  return (a, b, m, k, n, transA, transB) => {
    if (m * k * n < SMALL_PRODUCT) return jsGemm(a, b, m, k, n, transA, transB);
    // The data is read outside tidy: tidy would walk a returned TypedArray element by element.
    const product = tf.tidy(() => {
      const left = transA ? tf.transpose(tf.tensor2d(a, [k, m])) : tf.tensor2d(a, [m, k]);
      const right = transB ? tf.transpose(tf.tensor2d(b, [n, k])) : tf.tensor2d(b, [k, n]);
      return tf.matMul(left, right);
    });
    const c = product.dataSync() as Float32Array;
    product.dispose();
    return c;
  };
}

export const jsGemm: Gemm = (a, b, m, k, n, transA, transB) => {
  const left = transA ? transpose(a, k, m) : a;
  const right = transB ? transpose(b, n, k) : b;
  const c = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = left[i * k + p]!;
      const offset = p * n;
      for (let j = 0; j < n; j++) row[j]! += av * right[offset + j]!;
    }
    c.set(row, i * n);
  }
  return c;
};

/** The transpose of a rows×cols row-major matrix. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c]!;
  return t;
}
