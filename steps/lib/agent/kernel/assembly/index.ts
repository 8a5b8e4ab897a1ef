// The MLP policy's training kernels in AssemblyScript, compiled to WebAssembly with fixed-width
// SIMD (f32x4; no relaxed SIMD, so no FMA: Node 20 does not enable it). Every function works on
// float32 matrices at byte addresses of the memory the host passes in, and sums in one fixed
// order, so the same inputs give the same bits on every run.
//
// Built by steps/lib/agent/kernel/build.ts into mlp.wasm, which is committed (no build step for
// users); tests/rl/kernel.test.ts checks that rebuilding the source gives the same bytes.

// Epilogues of gemm, applied to each stored element.
const LINEAR: i32 = 0;
const TANH: i32 = 1;
const RELU: i32 = 2;
/** Backward through tanh: times (1 - y^2), y read from `gate` at the same position. */
const TANH_GRAD: i32 = 3;
/** Backward through relu: zero where y <= 0, y read from `gate`. */
const RELU_GRAD: i32 = 4;

// Eigen's generic_fast_tanh_float: the rational approximation TensorFlow and XNNPACK use.
const TANH_CLAMP: f32 = 7.90531110763549805;
const TANH_TINY: f32 = 0.0004;
const P13: f32 = -2.76076847742355e-16;
const P11: f32 = 2.00018790482477e-13;
const P9: f32 = -8.60467152213735e-11;
const P7: f32 = 5.12229709037114e-8;
const P5: f32 = 1.48572235717979e-5;
const P3: f32 = 6.37261928875436e-4;
const P1: f32 = 4.89352455891786e-3;
const Q6: f32 = 1.19825839466702e-6;
const Q4: f32 = 1.18534705686654e-4;
const Q2: f32 = 2.2684346324390e-3;
const Q0: f32 = 4.89352518554385e-3;

@inline function tanh4(x: v128): v128 {
  const c = f32x4.pmax(f32x4.pmin(x, f32x4.splat(TANH_CLAMP)), f32x4.splat(-TANH_CLAMP));
  const x2 = f32x4.mul(c, c);
  let p = f32x4.add(f32x4.mul(f32x4.splat(P13), x2), f32x4.splat(P11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(P9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(P7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(P5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(P1));
  let q = f32x4.add(f32x4.mul(f32x4.splat(Q6), x2), f32x4.splat(Q4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(Q2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(Q0));
  const approx = f32x4.div(f32x4.mul(c, p), q);
  // Tiny inputs pass through (and NaN, whose comparison is false, comes out of the division as NaN).
  return v128.bitselect(x, approx, f32x4.lt(f32x4.abs(x), f32x4.splat(TANH_TINY)));
}

@inline function epilogue(v: v128, act: i32, gate: usize): v128 {
  if (act == TANH) return tanh4(v);
  if (act == RELU) return f32x4.pmax(v, f32x4.splat(0));
  if (act == TANH_GRAD) {
    const y = v128.load(gate);
    return f32x4.mul(v, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
  }
  if (act == RELU_GRAD) return v128.and(v, f32x4.gt(v128.load(gate), f32x4.splat(0)));
  return v;
}

@inline function biasRow(bias: usize, j: i32): v128 {
  return bias == 0 ? f32x4.splat(0) : v128.load(bias + (<usize>j << 2));
}

/**
 * C = epilogue(A B + bias): C is m x n row-major, B is k x n row-major, and A's element (i, p)
 * is at a + 4 (i sai + p sap), so A may be read transposed (the weight gradient X^T dZ) at no cost.
 * `bias` (n floats) and `gate` (m x n, like C) are 0 when unused. Each element of C is one sum
 * over p in increasing order, then the bias, whatever the blocking. The last block of columns
 * reads up to 7 floats past the end of B's rows (and of the bias and gate): the host leaves
 * readable memory there, and those lanes are never stored.
 */
export function gemm(a: usize, sai: i32, sap: i32, b: usize, c: usize, m: i32, k: i32, n: i32, bias: usize, act: i32, gate: usize): void {
  for (let j = 0; j < n; j += 8) {
    const lanes = min(n - j, 8);
    let i = 0;
    for (; i + 4 <= m; i += 4) block4x8(a, sai, sap, b, c, i, j, k, n, bias, act, gate, lanes);
    for (; i < m; i++) block1x8(a, sai, sap, b, c, i, j, k, n, bias, act, gate, lanes);
  }
}

@inline function block4x8(a: usize, sai: i32, sap: i32, b: usize, c: usize, i: i32, j: i32, k: i32, n: i32, bias: usize, act: i32, gate: usize, lanes: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const rowStep = <usize>sai << 2;
  const kStep = <usize>sap << 2;
  const bStep = <usize>n << 2;
  let pa = a + ((<usize>(i * sai)) << 2);
  let pb = b + (<usize>j << 2);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + rowStep);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + 2 * rowStep);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa + 3 * rowStep);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    pa += kStep;
    pb += bStep;
  }
  const bias0 = biasRow(bias, j);
  const bias1 = biasRow(bias, j + 4);
  const rowBytes = <usize>n << 2;
  let at = (<usize>(i * n + j)) << 2;
  store2(c, at, c00, c01, bias0, bias1, act, gate, lanes);
  at += rowBytes;
  store2(c, at, c10, c11, bias0, bias1, act, gate, lanes);
  at += rowBytes;
  store2(c, at, c20, c21, bias0, bias1, act, gate, lanes);
  at += rowBytes;
  store2(c, at, c30, c31, bias0, bias1, act, gate, lanes);
}

@inline function store2(c: usize, at: usize, v0: v128, v1: v128, bias0: v128, bias1: v128, act: i32, gate: usize, lanes: i32): void {
  const r0 = epilogue(f32x4.add(v0, bias0), act, gate + at);
  const r1 = epilogue(f32x4.add(v1, bias1), act, gate + at + 16);
  if (lanes == 8) {
    v128.store(c + at, r0);
    v128.store(c + at, r1, 16);
  } else {
    storeLanes(c + at, r0, lanes);
    if (lanes > 4) storeLanes(c + at + 16, r1, lanes - 4);
  }
}

/** Stores the first `lanes` (1 to 4) floats of v. */
@inline function storeLanes(at: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) {
    v128.store(at, v);
    return;
  }
  store<f32>(at, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
}

@inline function block1x8(a: usize, sai: i32, sap: i32, b: usize, c: usize, i: i32, j: i32, k: i32, n: i32, bias: usize, act: i32, gate: usize, lanes: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const kStep = <usize>sap << 2;
  const bStep = <usize>n << 2;
  let pa = a + ((<usize>(i * sai)) << 2);
  let pb = b + (<usize>j << 2);
  for (let p = 0; p < k; p++) {
    const x = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(x, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(x, v128.load(pb, 16)));
    pa += kStep;
    pb += bStep;
  }
  store2(c, (<usize>(i * n + j)) << 2, c0, c1, biasRow(bias, j), biasRow(bias, j + 4), act, gate, lanes);
}

/**
 * dst[i] = src[rows[i]] for `count` rows of `width` floats; rows are i32 at `rows`. Rows are
 * copied four at a time, vector by vector across them, so that their cache misses overlap
 * (a row-by-row copy waits for each row's misses in turn).
 */
export function gatherRows(src: usize, rows: usize, count: i32, width: i32, dst: usize): void {
  const bytes = <usize>width << 2;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const s0 = src + <usize>load<i32>(rows + (<usize>i << 2)) * bytes;
    const s1 = src + <usize>load<i32>(rows + (<usize>i << 2), 4) * bytes;
    const s2 = src + <usize>load<i32>(rows + (<usize>i << 2), 8) * bytes;
    const s3 = src + <usize>load<i32>(rows + (<usize>i << 2), 12) * bytes;
    const d = dst + <usize>i * bytes;
    let at: usize = 0;
    for (; at + 16 <= bytes; at += 16) {
      const v0 = v128.load(s0 + at);
      const v1 = v128.load(s1 + at);
      const v2 = v128.load(s2 + at);
      const v3 = v128.load(s3 + at);
      v128.store(d + at, v0);
      v128.store(d + bytes + at, v1);
      v128.store(d + 2 * bytes + at, v2);
      v128.store(d + 3 * bytes + at, v3);
    }
    for (; at < bytes; at += 4) {
      store<f32>(d + at, load<f32>(s0 + at));
      store<f32>(d + bytes + at, load<f32>(s1 + at));
      store<f32>(d + 2 * bytes + at, load<f32>(s2 + at));
      store<f32>(d + 3 * bytes + at, load<f32>(s3 + at));
    }
  }
  for (; i < count; i++) memory.copy(dst + <usize>i * bytes, src + <usize>load<i32>(rows + (<usize>i << 2)) * bytes, bytes);
}

/** dst (cols x rows) = the transpose of src (rows x cols). */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + ((<usize>(c * rows + r)) << 2), load<f32>(src + ((<usize>(r * cols + c)) << 2)));
  }
}

/** out[j] = sum over rows of x[row, j] (the bias gradient), rows in increasing order. */
export function columnSums(x: usize, out: usize, rows: i32, cols: i32): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let sum = f32x4.splat(0);
    for (let r = 0; r < rows; r++) sum = f32x4.add(sum, v128.load(x + ((<usize>(r * cols + j)) << 2)));
    v128.store(out + (<usize>j << 2), sum);
  }
  for (; j < cols; j++) {
    let sum: f32 = 0;
    for (let r = 0; r < rows; r++) sum += load<f32>(x + ((<usize>(r * cols + j)) << 2));
    store<f32>(out + (<usize>j << 2), sum);
  }
}

/** The sum of squares of `count` floats (clip_grad_norm_'s norm before the root), in float64. */
export function sumOfSquares(x: usize, count: i32): f64 {
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const a = f64x2.promote_low_f32x4(v);
    const b = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (; i < count; i++) {
    const g = <f64>load<f32>(x + (<usize>i << 2));
    sum += g * g;
  }
  return sum;
}

/**
 * torch.optim.Adam's step on `count` floats (a multiple of 4, zero-padded), the gradient scaled
 * by `gradScale` first: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= stepSize m / (sqrt(v) invCorrection2 + eps), in float32 as torch computes it.
 */
export function adam(params: usize, grads: usize, m: usize, v: usize, count: i32, gradScale: f32, beta1: f32, beta2: f32, eps: f32, stepSize: f32, invCorrection2: f32): void {
  const scale = f32x4.splat(gradScale);
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const keep1 = f32x4.splat(1 - beta1);
  const keep2 = f32x4.splat(1 - beta2);
  const e = f32x4.splat(eps);
  const lr = f32x4.splat(stepSize);
  const inv2 = f32x4.splat(invCorrection2);
  for (let i = 0; i < count; i += 4) {
    const at = <usize>i << 2;
    const g = f32x4.mul(v128.load(grads + at), scale);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + at)), f32x4.mul(keep1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + at)), f32x4.mul(f32x4.mul(keep2, g), g));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
    const step = f32x4.div(f32x4.mul(lr, mi), f32x4.add(f32x4.mul(f32x4.sqrt(vi), inv2), e));
    v128.store(params + at, f32x4.sub(v128.load(params + at), step));
  }
}

/** torch.optim.RMSprop's step (no momentum, not centred): s = alpha s + (1 - alpha) g^2; p -= lr g / (sqrt(s) + eps). */
export function rmsprop(params: usize, grads: usize, squareAvg: usize, count: i32, gradScale: f32, alpha: f32, eps: f32, learningRate: f32): void {
  const scale = f32x4.splat(gradScale);
  const a = f32x4.splat(alpha);
  const keep = f32x4.splat(1 - alpha);
  const e = f32x4.splat(eps);
  const lr = f32x4.splat(learningRate);
  for (let i = 0; i < count; i += 4) {
    const at = <usize>i << 2;
    const g = f32x4.mul(v128.load(grads + at), scale);
    const s = f32x4.add(f32x4.mul(a, v128.load(squareAvg + at)), f32x4.mul(f32x4.mul(keep, g), g));
    v128.store(squareAvg + at, s);
    const step = f32x4.div(f32x4.mul(lr, g), f32x4.add(f32x4.sqrt(s), e));
    v128.store(params + at, f32x4.sub(v128.load(params + at), step));
  }
}
