/**
 * x' pinv(C) x for a symmetric positive semi-definite C, as numpy's `x @ np.linalg.pinv(C) @ x`.
 *
 * When C is comfortably full rank pinv(C) is C⁻¹, and a pivoted Cholesky factorisation gives
 * the form in n³/6 multiply-adds (the turbulence index needs one per date). When a pivot
 * collapses, C is near singular and numpy's cut-off matters (singular values below
 * 1e-15 × the largest count as 0): then a symmetric eigen-decomposition (ml-matrix) applies
 * that cut-off exactly as pinv does on the singular values |λ|. ml-matrix is required on that
 * first near-singular date only: importing it as an ES module costs ~40-70 ms of CPU (a lexer
 * pass over its 150 KB CommonJS build), more than the whole indicator step.
 */
import { createRequire } from 'node:module';
import type * as MlMatrix from 'ml-matrix';

const require = createRequire(import.meta.url);
let mlMatrix: typeof MlMatrix | undefined;

/** numpy's default `rcond` for pinv. */
const PINV_RCOND = 1e-15;
/**
 * Smallest pivot (relative to the largest) still trusted to Cholesky. With diagonal pivoting the
 * pivots track the eigenvalues within a small factor, so this sits orders of magnitude above
 * the 1e-15 where pinv starts dropping directions.
 */
const CHOLESKY_MIN_PIVOT = 1e-11;

export interface QuadraticWorkspace {
  readonly a: Float64Array;
  readonly y: Float64Array;
}

export function quadraticWorkspace(n: number): QuadraticWorkspace {
  return { a: new Float64Array(n * n), y: new Float64Array(n) };
}

/** `c` is n×n row-major (both triangles filled), `x` length n. Neither is modified. */
export function pinvQuadraticForm(c: Float64Array, x: Float64Array, n: number, ws: QuadraticWorkspace): number {
  if (n === 0) return 0;
  const viaCholesky = choleskyForm(c, x, n, ws);
  return viaCholesky ?? eigenForm(c, x, n);
}

/**
 * Pivoted Cholesky C = P L L' P' (LAPACK dpstrf's scheme) kept in the upper triangle, so row k
 * holds column k of L and every inner loop runs along a row. Returns ||L⁻¹ P' x||², or
 * undefined when a pivot is too small to trust.
 */
function choleskyForm(c: Float64Array, x: Float64Array, n: number, ws: QuadraticWorkspace): number | undefined {
  const { a, y } = ws;
  a.set(c.subarray(0, n * n));
  y.set(x.subarray(0, n));
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, a[i * n + i]!);
  if (!(largest > 0)) return undefined;
  const floor = CHOLESKY_MIN_PIVOT * largest;
  let form = 0;
  for (let k = 0; k < n; k++) {
    const rowK = k * n;
    let p = k;
    for (let i = k + 1; i < n; i++) if (a[i * n + i]! > a[p * n + p]!) p = i;
    if (p !== k) swapUpper(a, n, k, p, y);
    const pivot = a[rowK + k]!;
    if (!(pivot > floor)) return undefined;
    const root = Math.sqrt(pivot);
    const inverse = 1 / root;
    a[rowK + k] = root;
    for (let i = k + 1; i < n; i++) a[rowK + i]! *= inverse;
    // forward substitution for z_k rides along: y_k is final once columns before k are applied
    const z = y[k]! * inverse;
    form += z * z;
    for (let j = k + 1; j < n; j++) {
      const ljk = a[rowK + j]!;
      y[j]! -= ljk * z;
      const rowJ = j * n;
      for (let i = j; i < n; i++) a[rowJ + i]! -= ljk * a[rowK + i]!;
    }
  }
  return form;
}

/** Symmetric swap of rows/columns k < p in upper-triangle storage (rows before k hold L already), and of y[k], y[p]. */
function swapUpper(a: Float64Array, n: number, k: number, p: number, y: Float64Array): void {
  let t: number;
  for (let j = 0; j < k; j++) {
    t = a[j * n + k]!;
    a[j * n + k] = a[j * n + p]!;
    a[j * n + p] = t;
  }
  t = a[k * n + k]!;
  a[k * n + k] = a[p * n + p]!;
  a[p * n + p] = t;
  for (let i = k + 1; i < p; i++) {
    t = a[k * n + i]!;
    a[k * n + i] = a[i * n + p]!;
    a[i * n + p] = t;
  }
  for (let i = p + 1; i < n; i++) {
    t = a[k * n + i]!;
    a[k * n + i] = a[p * n + i]!;
    a[p * n + i] = t;
  }
  t = y[k]!;
  y[k] = y[p]!;
  y[p] = t;
}

function eigenForm(c: Float64Array, x: Float64Array, n: number): number {
  const rows = Array.from({ length: n }, (_, i) => Array.from(c.subarray(i * n, i * n + n)));
  const { EigenvalueDecomposition, Matrix } = (mlMatrix ??= require('ml-matrix') as typeof MlMatrix);
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  let largest = 0;
  for (const v of values) largest = Math.max(largest, Math.abs(v));
  const cutoff = PINV_RCOND * largest;
  let form = 0;
  for (let k = 0; k < n; k++) {
    const lambda = values[k]!;
    if (!(Math.abs(lambda) > cutoff)) continue;
    let projection = 0;
    for (let i = 0; i < n; i++) projection += vectors.get(i, k) * x[i]!;
    form += (projection * projection) / lambda;
  }
  return form;
}
