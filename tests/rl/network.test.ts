/**
 * The actor-critic network: SB3's orthogonal init, the hand-written backward pass
 * against tfjs autodiff of the same PPO loss, the single-observation inference path,
 * and the saved model format read back by loadAgent.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs'; // registers tfjs's gradients, used here as the reference
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend } from '../../steps/lib/agent/backend.ts';
import { jsGemm, tfjsGemm } from '../../steps/lib/agent/gemm.ts';
import { compileInference } from '../../steps/lib/agent/inference.ts';
import { loadAgent } from '../../steps/lib/agent/load.ts';
import { ppoLoss, type Minibatch } from '../../steps/lib/agent/losses.ts';
import { saveModel } from '../../steps/lib/agent/model-io.ts';
import { backward, buildNetwork, forward, initParams, meanOf, tanh, valueOf, view, type Network } from '../../steps/lib/agent/network.ts';
import { createNormalizer } from '../../steps/lib/agent/normalizer.ts';
import { Draws } from '../../steps/lib/random.ts';

const spec = { obsDim: 5, actionDim: 3, netArch: { pi: [8, 6], vf: [7] }, activation: 'tanh' as const, logStdInit: -0.5 };

test('orthogonal init: W^T W = gain^2 I (or W W^T), zero biases, log_std at log_std_init', async () => {
  const { tf } = await initBackend('cpu');
  const net = buildNetwork({ ...spec, netArch: { pi: [64, 64], vf: [64, 64] } });
  const params = initParams(net, tf, new Draws(1, 'init'));
  for (const layer of [...net.pi, ...net.vf]) {
    const w = view(params, layer.kernel);
    const [rows, cols] = [layer.inputs, layer.outputs];
    // Gram matrix of the short side: identity times gain^2.
    const short = Math.min(rows, cols);
    for (let a = 0; a < short; a++) {
      for (let b = 0; b < short; b++) {
        let dot = 0;
        if (rows >= cols) for (let r = 0; r < rows; r++) dot += w[r * cols + a]! * w[r * cols + b]!;
        else for (let c = 0; c < cols; c++) dot += w[a * cols + c]! * w[b * cols + c]!;
        const expected = a === b ? layer.gain ** 2 : 0;
        if (Math.abs(dot - expected) > 1e-5 * Math.max(1, layer.gain ** 2)) assert.unreachable(`${layer.kernel.name}: gram[${a},${b}] = ${dot}`);
      }
    }
    assert.ok(view(params, layer.bias).every((b) => b === 0), `${layer.bias.name} is zero`);
  }
  assert.equal(Array.from(view(params, net.logStd)), [-0.5, -0.5, -0.5]);
  assert.equal(
    net.tensors.map((t) => t.name),
    [
      'mlp_extractor/policy_net/0/kernel', 'mlp_extractor/policy_net/0/bias', 'mlp_extractor/policy_net/1/kernel', 'mlp_extractor/policy_net/1/bias',
      'action_net/kernel', 'action_net/bias',
      'mlp_extractor/value_net/0/kernel', 'mlp_extractor/value_net/0/bias', 'mlp_extractor/value_net/1/kernel', 'mlp_extractor/value_net/1/bias',
      'value_net/kernel', 'value_net/bias', 'log_std',
    ],
  );
});

/** A minibatch whose ratios straddle the clip range, with random advantages, returns and old values. */
function randomBatch(net: Network, params: Float32Array, size: number, draws: Draws): Minibatch & { observations: Float32Array } {
  const { obsDim, actionDim } = net.spec;
  const observations = Float32Array.from({ length: size * obsDim }, () => draws.normal());
  const pass = forward(net, params, observations, size, jsGemm);
  const mean = meanOf(pass);
  const actions = Float32Array.from(mean, (m) => m + 0.6 * draws.normal());
  const logStd = view(params, net.logStd);
  const oldLogProb = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let lp = 0;
    for (let j = 0; j < actionDim; j++) {
      const z = (actions[i * actionDim + j]! - mean[i * actionDim + j]!) / Math.exp(logStd[j]!);
      lp += -0.5 * z * z - logStd[j]! - 0.5 * Math.log(2 * Math.PI);
    }
    oldLogProb[i] = lp + 0.4 * draws.normal();
  }
  const random = () => Float32Array.from({ length: size }, () => draws.normal());
  return { size, observations, actions, oldLogProb, advantages: random(), returns: random(), oldValues: valueOf(pass).map((v) => v + 0.3 * draws.normal()) };
}

/** The same network and PPO loss written in tfjs ops, differentiated by tfjs. */
function referenceGradients(net: Network, params: Float32Array, batch: Minibatch & { observations: Float32Array }, c: Parameters<typeof ppoLoss>[2]) {
  const tf = tfjs;
  const vars = new Map(net.tensors.map((t) => [t.name, tf.tidy(() => tf.variable(tf.tensor(view(params, t), [...t.shape]), true, `ref-${t.name}`))]));
  const v = (name: string) => vars.get(name)!;
  const computed = tf.tidy(() => {
    const x = tf.tensor2d(batch.observations, [batch.size, net.spec.obsDim]);
    const tower = (layers: Network['pi']) =>
      layers.reduce<tfjs.Tensor2D>((h, layer) => {
        const z = tf.add(tf.matMul(h, v(layer.kernel.name) as tfjs.Tensor2D), v(layer.bias.name));
        return (layer.activation === 'tanh' ? tf.tanh(z) : z) as tfjs.Tensor2D;
      }, x);
    const { value, grads } = tf.variableGrads(() => {
      const mean = tower(net.pi);
      const value = tf.reshape(tower(net.vf), [-1]);
      const logStd = v('log_std');
      const z = tf.div(tf.sub(tf.tensor2d(batch.actions, [batch.size, net.spec.actionDim]), mean), tf.exp(logStd));
      const logProb = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), 0.5 * Math.log(2 * Math.PI)), 1);
      const ratio = tf.exp(tf.sub(logProb, tf.tensor1d(batch.oldLogProb)));
      let adv = tf.tensor1d(batch.advantages);
      const { mean: m, variance } = tf.moments(adv);
      const std = tf.sqrt(tf.mul(variance, batch.size / (batch.size - 1)));
      adv = tf.div(tf.sub(adv, m), tf.add(std, 1e-8));
      const surrogate = tf.minimum(tf.mul(adv, ratio), tf.mul(adv, tf.clipByValue(ratio, 1 - c.clipRange, 1 + c.clipRange)));
      const oldValues = tf.tensor1d(batch.oldValues);
      const prediction = tf.add(oldValues, tf.clipByValue(tf.sub(value, oldValues), -c.clipRangeVf!, c.clipRangeVf!));
      const valueLoss = tf.mean(tf.square(tf.sub(tf.tensor1d(batch.returns), prediction)));
      const entropy = tf.sum(tf.add(logStd, 0.5 + 0.5 * Math.log(2 * Math.PI)));
      return tf.add(tf.add(tf.neg(tf.mean(surrogate)), tf.mul(-c.entCoef, entropy)), tf.mul(c.vfCoef, valueLoss)) as tfjs.Scalar;
    }, [...vars.values()]);
    return { loss: value, ...grads } as tfjs.NamedTensorMap;
  });
  const loss = computed.loss!.dataSync()[0]!;
  const grads = new Map([...vars].map(([name, variable]) => [name, computed[variable.name]!.dataSync() as Float32Array]));
  tf.dispose([...Object.values(computed), ...vars.values()]);
  return { loss, grads };
}

for (const device of ['cpu', 'wasm'] as const) {
  test(`backward pass matches tfjs autodiff of the PPO loss (${device} matmuls)`, async () => {
    const backend = await initBackend(device);
    const net = buildNetwork(spec);
    const draws = new Draws(2, 'grad-check');
    const params = initParams(net, backend.tf, draws);
    // Larger weights than the init so every layer's gradient is well away from zero.
    for (let i = 0; i < params.length; i++) params[i] = params[i]! * 3 + 0.1 * draws.normal();
    const batch = randomBatch(net, params, 16, draws);
    const coefficients = { clipRange: 0.2, clipRangeVf: 0.3, entCoef: 0.01, vfCoef: 0.5, normalizeAdvantage: true };

    const gemm = tfjsGemm(backend.tf);
    const pass = forward(net, params, batch.observations, batch.size, gemm);
    const { terms, grads } = ppoLoss({ mean: meanOf(pass), value: valueOf(pass), logStd: view(params, net.logStd) }, batch, coefficients);
    const ours = new Float32Array(net.size);
    backward(net, params, pass, grads.mean, grads.value, ours, gemm);
    view(ours, net.logStd).set(grads.logStd);

    await initBackend('cpu');
    const reference = referenceGradients(net, params, batch, coefficients);
    assert.ok(Math.abs(terms.loss - reference.loss) < 1e-5, `loss ${terms.loss} vs ${reference.loss}`);
    for (const t of net.tensors) {
      const expected = reference.grads.get(t.name)!;
      const actual = view(ours, t);
      const scale = Math.max(...expected.map(Math.abs));
      assert.ok(scale > 1e-4, `${t.name}: reference gradient is not trivially zero`);
      expected.forEach((e: number, i: number) => {
        if (Math.abs(actual[i]! - e) > 2e-4 * scale) assert.unreachable(`${t.name}[${i}]: ${actual[i]} vs tfjs ${e}`);
      });
    }
  });
}

test('tanh approximation stays within 3e-7 of Math.tanh', () => {
  for (let x = -12; x <= 12; x += 0.001) {
    if (Math.abs(tanh(x) - Math.tanh(x)) > 3e-7) assert.unreachable(`tanh(${x}) = ${tanh(x)}, Math.tanh ${Math.tanh(x)}`);
  }
  assert.is(tanh(1e-5), 1e-5);
  assert.ok(Number.isNaN(tanh(NaN)));
});

test('single-observation inference equals the batched forward pass', async () => {
  const { tf } = await initBackend('cpu');
  const net = buildNetwork({ ...spec, activation: 'relu' });
  const draws = new Draws(3, 'inference');
  const params = initParams(net, tf, draws, false);
  const obs = Float32Array.from({ length: 5 }, () => draws.normal());
  const pass = forward(net, params, obs, 1, jsGemm);
  const inference = compileInference(net, params);
  const mean = inference.mean(obs);
  meanOf(pass).forEach((m, j) => assert.ok(Math.abs(m - mean[j]!) < 1e-6, `mean[${j}]`));
  assert.ok(Math.abs(valueOf(pass)[0]! - inference.value(obs)) < 1e-6);
});

test('saved model: policy.json + tfjs weights.bin; loadAgent acts deterministically with the stored normaliser', async () => {
  const { tf } = await initBackend('cpu');
  const net = buildNetwork(spec);
  const draws = new Draws(4, 'model');
  const params = initParams(net, tf, draws);
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + draws.normal();
  // Action 0 far beyond the box (clipped to 1), the others near 0.
  const head = net.pi[net.pi.length - 1]!;
  view(params, head.kernel).forEach((w, i, kernel) => (kernel[i] = w * 0.01));
  view(params, head.bias).set([5, 0, 0]);
  const normalizer = createNormalizer(5);
  for (let k = 0; k < 20; k++) normalizer.update(Float64Array.from({ length: 5 }, () => 100 + 50 * draws.normal()));
  const dir = join(mkdtempSync(join(tmpdir(), 'rl-model-')), 'model');
  await saveModel(dir, net, params, {
    algorithm: 'ppo',
    tickers: ['AAA', 'BBB', 'CCC'],
    tech_indicator_list: ['macd'],
    env: { hmax: 100 },
    observation_normalizer: normalizer.state(),
    training: { total_timesteps: 10, timesteps: 16, seed: 4, backend: 'cpu', hyperparameters: { n_steps: 16 } },
  });

  const policy = JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'));
  assert.is(policy.format, 'tradepipe-rl-policy');
  assert.equal([policy.observation_dim, policy.action_dim, policy.activation_fn], [5, 3, 'tanh']);
  assert.equal(policy.net_arch, { pi: [8, 6], vf: [7] });
  assert.equal(policy.weightsManifest[0].paths, ['weights.bin']);
  assert.equal(policy.weightsManifest[0].weights[0], { name: 'mlp_extractor/policy_net/0/kernel', shape: [5, 8], dtype: 'float32' });
  assert.is(readFileSync(join(dir, 'weights.bin')).byteLength, net.size * 4);
  // The weights file is what tfjs's own decoder reads.
  const decoded = tfjs.io.decodeWeights(new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer, policy.weightsManifest[0].weights);
  assert.equal(Array.from(decoded.log_std!.dataSync()), Array.from(view(params, net.logStd)));
  tfjs.dispose(Object.values(decoded));

  const agent = await loadAgent(dir);
  const obs = Float64Array.from({ length: 5 }, () => 100 + 80 * draws.normal());
  const scaled = new Float32Array(5);
  normalizer.normalize(obs, scaled);
  const expected = Array.from(compileInference(net, params).mean(scaled), (a) => Math.min(Math.max(a, -1), 1));
  assert.equal(Array.from(agent.act(obs)), expected);
  assert.ok(expected.some((a) => Math.abs(a) === 1) && expected.some((a) => Math.abs(a) < 1), 'some actions clipped, some not');
  assert.equal(Array.from(agent.act(obs)), expected, 'deterministic');
  assert.throws(() => agent.act(new Float64Array(4)), /expects observations of length 5 \(3 tickers, indicators macd\), got 4/);
  agent.dispose();
  assert.throws(() => agent.act(obs), /was disposed/);

  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(12));
  try {
    await loadAgent(dir);
    assert.unreachable('truncated weights accepted');
  } catch (error) {
    assert.match((error as Error).message, `weights.bin: 12 bytes, expected ${net.size * 4} (${net.size} float32 values)`);
  }
});

test.run();
