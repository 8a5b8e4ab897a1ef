/** Python/numpy float semantics the env relies on; expected values printed by Python 3.11 / numpy 2.4. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { numpySum, pyFloorDiv } from '../../steps/lib/trading-env/python-arith.ts';

test('pyFloorDiv is Python float //', () => {
  assert.is(pyFloorDiv(1, 0.1), 9); // Math.floor(1 / 0.1) would be 10
  assert.is(pyFloorDiv(-1, 0.1), -10);
  assert.is(pyFloorDiv(0.3, 0.1), 2);
  assert.is(pyFloorDiv(-7.5, 2), -4);
  assert.is(pyFloorDiv(7.5, -2), -4);
  assert.is(pyFloorDiv(995.5, 20.2), 49);
  assert.is(pyFloorDiv(1e6, 42.30722171204973 * 1.001), 23613);
  assert.is(Object.is(pyFloorDiv(0, 3), 0), true);
});

function vector(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (((i * 7919) % 1000) / 7.0) * 10 ** (((i * 13) % 9) - 4) * (i % 2 ? 1 : -1));
}

test('numpySum is np.sum (pairwise), not a sequential sum', () => {
  assert.is(numpySum(vector(29)), -1574452.8259714285); // sequential: -1574452.825971428
  assert.is(numpySum(vector(300)), -547769.780042858); // sequential: -547769.7800428576
  assert.is(numpySum(new Float64Array(0)), 0);
});

test.run();
