/**
 * The wasm MLP kernel (steps/lib/agent/kernel): the committed binary is what its source
 * compiles to, and its forward pass, gradients and optimizer steps agree with the JS path of
 * network.ts and optim.ts (itself checked against tfjs autodiff and torch's formulas) to
 * float32 precision, on shapes that exercise every edge of its blocking.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend } from '../../steps/lib/agent/backend.ts';
import { jsGemm } from '../../steps/lib/agent/gemm.ts';
import { compileKernel } from '../../steps/lib/agent/kernel/build.ts';
import { MLP_WASM_BASE64 } from '../../steps/lib/agent/kernel/mlp-wasm.ts';
import { kernelTrainer } from '../../steps/lib/agent/kernel/trainer.ts';
import { ppoLoss, type Minibatch } from '../../steps/lib/agent/losses.ts';
import { type Activation, backward, buildNetwork, forward, initParams, view } from '../../steps/lib/agent/network.ts';
import { ADAM_SB3, createOptimizer, type OptimizerSpec } from '../../steps/lib/agent/optim.ts';
import { gemmTrainer } from '../../steps/lib/agent/update.ts';
import { Draws } from '../../steps/lib/random.ts';

test('the committed kernel is what assembly/index.ts compiles to', async () => {
  const rebuilt = Buffer.from(await compileKernel());
  assert.ok(rebuilt.equals(Buffer.from(MLP_WASM_BASE64, 'base64')), 'rebuild with `npx tsx steps/lib/agent/kernel/build.ts` and commit mlp-wasm.ts');
});

/** Odd sizes: row blocks of 4 with a remainder, column blocks of 8 with partial ones (3, 5, 1). */
const shapes = { obsDim: 11, actionDim: 3, netArch: { pi: [13, 8], vf: [5] }, logStdInit: -0.3 };
const BATCH = 14;

function setup(activation: Activation, optimizer: OptimizerSpec) {
  const net = buildNetwork({ ...shapes, activation });
  const draws = new Draws(8, `kernel-${activation}`);
  return initBackend('cpu').then(({ tf }) => {
    const params = initParams(net, tf, draws, activation === 'tanh');
    // Larger weights than the init, so that every gradient is well away from zero.
    for (let i = 0; i < params.length; i++) params[i] = params[i]! * 2 + 0.2 * draws.normal();
    const rolloutSize = 20;
    const observations = Float32Array.from({ length: rolloutSize * shapes.obsDim }, () => draws.normal());
    const rows = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % rolloutSize);
    const random = () => Float32Array.from({ length: BATCH }, () => draws.normal());
    const batch: Minibatch = {
      size: BATCH,
      actions: Float32Array.from({ length: BATCH * shapes.actionDim }, () => draws.normal()),
      oldLogProb: Float32Array.from({ length: BATCH }, () => -4 + draws.normal()),
      oldValues: random(),
      advantages: random(),
      returns: random(),
    };
    const kernel = kernelTrainer(net, params, optimizer, 0.5, rolloutSize);
    const reference = gemmTrainer(net, Float32Array.from(params), createOptimizer(optimizer, net.size), jsGemm, 0.5);
    for (const trainer of [kernel, reference]) trainer.setObservations(observations);
    return { net, kernel, reference, observations, rows, batch };
  });
}

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string) => {
  assert.is(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tolerance * Math.max(scale, 1e-12)) assert.unreachable(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};

const coefficients = { clipRange: 0.2, clipRangeVf: null, entCoef: 0.01, vfCoef: 0.5, normalizeAdvantage: true };

for (const activation of ['tanh', 'relu'] as const) {
  test(`forward pass and gradients match the JS path (${activation})`, async () => {
    const { net, kernel, reference, observations, rows, batch } = await setup(activation, ADAM_SB3);
    const ours = kernel.evaluate(rows);
    const theirs = reference.evaluate(rows);
    close(ours.mean, theirs.mean, 1e-5, 'mean');
    close(ours.value, theirs.value, 1e-5, 'value');
    const { grads } = ppoLoss(theirs, batch, coefficients);
    kernel.descend(grads, 0);
    // The reference's gradients, by the same backward pass the tfjs-autodiff test checks.
    const inputs = new Float32Array(rows.length * net.spec.obsDim);
    rows.forEach((row, i) => inputs.set(observations.subarray(row * net.spec.obsDim, (row + 1) * net.spec.obsDim), i * net.spec.obsDim));
    const expected = new Float32Array(net.size);
    backward(net, reference.params, forward(net, reference.params, inputs, rows.length, jsGemm), grads.mean, grads.value, expected, jsGemm);
    view(expected, net.logStd).set(grads.logStd);
    for (const t of net.tensors) {
      const e = view(expected, t);
      assert.ok(e.some((x) => Math.abs(x) > 1e-4) || t.name.endsWith('bias'), `${t.name}: reference gradient is not trivially zero`);
      close(view(kernel.grads, t), e, 2e-5, t.name);
    }
  });
}

for (const optimizer of [ADAM_SB3, { kind: 'rmsprop', alpha: 0.99, eps: 1e-5 } as const]) {
  test(`${optimizer.kind} steps with grad-norm clipping match optim.ts`, async () => {
    const { kernel, reference, rows, batch } = await setup('tanh', optimizer);
    const start = Float32Array.from(reference.params);
    for (let step = 0; step < 3; step++) {
      for (const trainer of [kernel, reference]) trainer.descend(ppoLoss(trainer.evaluate(rows), batch, coefficients).grads, 1e-3);
    }
    const moved = reference.params.filter((p, i) => Math.abs(p - start[i]!) > 1e-4).length;
    assert.ok(moved > reference.params.length / 2, `${moved} of ${reference.params.length} parameters moved`);
    for (let i = 0; i < start.length; i++) {
      const tolerance = 2e-6 * Math.max(1, Math.abs(start[i]!));
      if (Math.abs(kernel.params[i]! - reference.params[i]!) > tolerance) assert.unreachable(`param ${i}: ${kernel.params[i]} vs ${reference.params[i]}`);
    }
  });
}

test('the same inputs give bit-identical parameters', async () => {
  const run = async () => {
    const { kernel, rows, batch } = await setup('tanh', ADAM_SB3);
    for (let step = 0; step < 3; step++) kernel.descend(ppoLoss(kernel.evaluate(rows), batch, coefficients).grads, 1e-3);
    return Buffer.from(kernel.params.buffer, kernel.params.byteOffset, kernel.params.byteLength);
  };
  assert.ok((await run()).equals(await run()));
});

test('a minibatch larger than the kernel was sized for, or a row outside the rollout, is refused', async () => {
  const { kernel } = await setup('tanh', ADAM_SB3);
  assert.throws(() => kernel.evaluate(new Int32Array(21)), /minibatch of 21 rows exceeds the kernel's 20/);
  assert.throws(() => kernel.evaluate(Int32Array.of(3, 20)), /row 20 is outside the rollout's 20 observations/);
  assert.throws(() => kernel.setObservations(new Float32Array(21 * shapes.obsDim)), /rollout of 21 rows exceeds the kernel's 20/);
});

test.run();
