/**
 * Python/numpy float arithmetic where it differs from the obvious JavaScript, so the
 * environment's numbers match FinRL's to the last bit rather than "almost".
 */

/**
 * Python's `a // b` for floats (CPython `_float_div_mod`, also numpy's `npy_divmod`).
 * Differs from Math.floor(a / b) when a / b rounds up to an integer: 1 // 0.1 is 9.
 */
export function pyFloorDiv(a: number, b: number): number {
  let mod = a % b; // JS % on numbers is C fmod: exact
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div === 0) return a / b < 0 ? -0 : 0;
  let floorDiv = Math.floor(div);
  if (div - floorDiv > 0.5) floorDiv += 1;
  return floorDiv;
}

/**
 * `np.sum` of a float64 vector: the reduction starts from 0.0 and adds numpy's pairwise
 * sum (8-way unrolled blocks of up to 128, split in halves above that).
 */
export function numpySum(values: Float64Array): number {
  return 0 + pairwiseSum(values, 0, values.length);
}

function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = r[j]! + a[start + i + j]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half);
}
