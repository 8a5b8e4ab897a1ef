/**
 * The tfjs model against transformers + peft on torch (tests/sentiment/reference.py):
 * base-model logits with a fixed classifier to 1e-4, and one Trainer-style AdamW step
 * from peft's initial adapter weights (dropout off) to 1e-5.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serializeSafetensors, readSafetensors } from '../../steps/lib/encoder/safetensors.ts';
import { writeFileSync } from 'node:fs';
import { Draws } from '../../steps/lib/random.ts';
import { loadClassifier } from '../../steps/lib/sentiment/classifier.ts';
import { initialAdapterValues } from '../../steps/lib/sentiment/lora.ts';
import { adapterValues } from '../../steps/lib/sentiment/peft-io.ts';
import { adamwStep } from '../../steps/lib/sentiment/train.ts';
import { linearWarmupDecay, warmupSteps } from '../../steps/lib/sentiment/schedule.ts';
import { paritySentences } from './sentences.ts';
import { encoderOrSkip, maxAbsDiff, reference, tempDir, torchPythonOrSkip, wasm } from './support.ts';

const SENTENCES = paritySentences().filter((_, i) => i % 13 === 2).slice(0, 12);
const MAX_LENGTH = 32;

test('logits equal BertForSequenceClassification with the same classifier (1e-4)', async () => {
  const encoder = await encoderOrSkip('sentiment/logits parity');
  const python = torchPythonOrSkip('sentiment/logits parity');
  if (!encoder || !python) return;
  const tf = await wasm();
  const settings = { r: 4, alpha: 8, dropout: 0, targetModules: ['query'] };
  // lora_B = 0: the adapter adds nothing, so this is the base model with a fixed classifier.
  const classifier = await loadClassifier(tf, encoder, settings, 3, (weights) => {
    const values = initialAdapterValues(weights, settings, 3, new Draws(7, 'test/classifier'), 0.5);
    values.classifierBias.set([0.1, -0.2, 0.3]);
    return values;
  });
  try {
    const dir = tempDir('logits-');
    const weight = classifier.model.adapter.classifier.weight;
    const [hidden, labels] = weight.shape;
    const torchLayout = tf.tidy(() => tf.transpose(weight).dataSync() as Float32Array);
    const file = join(dir, 'classifier.safetensors');
    writeFileSync(file, serializeSafetensors(new Map([
      ['weight', { shape: [labels, hidden], data: torchLayout }],
      ['bias', { shape: [labels], data: classifier.model.adapter.classifier.bias.dataSync() as Float32Array }],
    ])));
    const expected = await reference<{ logits: number[][] }>(python, 'logits', { encoder, classifier: file, sentences: SENTENCES, max_length: MAX_LENGTH });
    const { padBatch } = await import('../../steps/lib/encoder/tokenizer.ts');
    const batch = padBatch(SENTENCES.map((s) => classifier.tokenizer.encode(s, MAX_LENGTH)), classifier.tokenizer.padId);
    const ours = tf.tidy(() => classifier.model.logits(classifier.model.embed(batch), batch).dataSync() as Float32Array);
    const diff = maxAbsDiff(ours, expected.logits.flat());
    console.log(`logits parity: max |diff| ${diff.toExponential(2)} over ${SENTENCES.length} sentences`);
    assert.ok(diff < 1e-4, `max |diff| ${diff}`);
  } finally {
    classifier.dispose();
  }
});

test('one AdamW step from peft initial weights equals peft + torch (1e-5)', async () => {
  const encoder = await encoderOrSkip('sentiment/step parity');
  const python = torchPythonOrSkip('sentiment/step parity');
  if (!encoder || !python) return;
  const tf = await wasm();
  const dir = tempDir('step-');
  const hyper = { r: 8, lora_alpha: 32, target_modules: ['query', 'value'], learning_rate: 5e-4, weight_decay: 0.01, warmup_ratio: 0.2, max_grad_norm: 1.0 };
  const labels = [0, 2, 1, 2, 0, 1, 1, 0, 2, 2, 0, 1];
  const request = {
    ...hyper,
    encoder,
    seed: 3,
    labels_order: ['negative', 'neutral', 'positive'],
    sentences: SENTENCES,
    labels,
    max_length: MAX_LENGTH,
    total_steps: 10,
    steps_before: 1,
    initial: join(dir, 'initial.safetensors'),
    after: join(dir, 'after.safetensors'),
    grads: join(dir, 'grads.safetensors'),
  };
  const expected = await reference<{ loss: number; learning_rate: number }>(python, 'step', request);
  const settings = { r: hyper.r, alpha: hyper.lora_alpha, dropout: 0, targetModules: hyper.target_modules };
  const initial = adapterValues(await readSafetensors(request.initial), request.initial);
  const classifier = await loadClassifier(tf, encoder, settings, 3, initial);
  try {
    const learningRate = hyper.learning_rate * linearWarmupDecay(1, warmupSteps(10, hyper.warmup_ratio), 10);
    assert.ok(Math.abs(learningRate - expected.learning_rate) < 1e-12, `learning rate ${learningRate} vs ${expected.learning_rate}`);
    const step = adamwStep(tf, classifier.model, classifier.tokenizer.padId, { weightDecay: hyper.weight_decay, maxGradNorm: hyper.max_grad_norm }, undefined);
    const sequences = SENTENCES.map((s) => classifier.tokenizer.encode(s, MAX_LENGTH));
    const { loss, grads: ourGrads } = step(sequences, Int32Array.from(labels), learningRate);
    assert.ok(Math.abs(loss - expected.loss) < 1e-5, `loss ${loss} vs ${expected.loss}`);

    const after = await readSafetensors(request.after);
    const grads = await readSafetensors(request.grads);
    let worst = 0;
    let worstGrad = 0;
    let offset = 0;
    for (const { name, variable, transposed } of classifier.model.adapter.variables) {
      const theirs = after.get(name)!;
      assert.ok(theirs, `peft saved ${name}`);
      const ours = tf.tidy(() => (transposed ? tf.transpose(variable) : variable).dataSync() as Float32Array);
      worst = Math.max(worst, maxAbsDiff(ours, theirs.data));
      // The gradients themselves, relative to their scale: backprop through all six layers matches torch's autograd.
      const gradient = tf.tidy(() => {
        const flat = tf.tensor(ourGrads.subarray(offset, offset + variable.size), variable.shape);
        return (transposed ? tf.transpose(flat) : flat).dataSync() as Float32Array;
      });
      offset += variable.size;
      const reference = grads.get(name)!.data;
      const scale = Math.max(...reference.map(Math.abs));
      if (scale > 0) worstGrad = Math.max(worstGrad, maxAbsDiff(gradient, reference) / scale);
    }
    console.log(`one-step parity: loss ${loss.toFixed(6)} (peft ${expected.loss.toFixed(6)}), max |weight diff| ${worst.toExponential(2)}, max relative gradient diff ${worstGrad.toExponential(2)}`);
    assert.ok(worstGrad < 1e-3, `max relative gradient diff ${worstGrad}`);
    assert.ok(worst < 1e-5, `max |diff| of the weights after one step: ${worst}`);
  } finally {
    classifier.dispose();
  }
});

test('four AdamW steps (warm-up, then decay) from the same weights stay equal to peft + torch (1e-5)', async () => {
  const encoder = await encoderOrSkip('sentiment/multi-step parity');
  const python = torchPythonOrSkip('sentiment/multi-step parity');
  if (!encoder || !python) return;
  const tf = await wasm();
  const dir = tempDir('steps-');
  const hyper = { r: 8, lora_alpha: 32, target_modules: ['query', 'value'], learning_rate: 5e-4, weight_decay: 0.01, warmup_ratio: 0.25, max_grad_norm: 1.0 };
  const labels = [0, 2, 1, 2, 0, 1, 1, 0, 2, 2, 0, 1];
  const request = {
    ...hyper,
    encoder,
    seed: 4,
    labels_order: ['negative', 'neutral', 'positive'],
    sentences: SENTENCES,
    labels,
    max_length: MAX_LENGTH,
    total_steps: 8,
    steps_before: 0,
    steps: 4,
    initial: join(dir, 'initial.safetensors'),
    after: join(dir, 'after.safetensors'),
    grads: join(dir, 'grads.safetensors'),
  };
  await reference(python, 'step', request);
  const settings = { r: hyper.r, alpha: hyper.lora_alpha, dropout: 0, targetModules: hyper.target_modules };
  const classifier = await loadClassifier(tf, encoder, settings, 3, adapterValues(await readSafetensors(request.initial), request.initial));
  try {
    const step = adamwStep(tf, classifier.model, classifier.tokenizer.padId, { weightDecay: hyper.weight_decay, maxGradNorm: hyper.max_grad_norm }, undefined);
    const sequences = SENTENCES.map((s) => classifier.tokenizer.encode(s, MAX_LENGTH));
    const warmup = warmupSteps(8, hyper.warmup_ratio);
    for (let s = 0; s < 4; s++) step(sequences, Int32Array.from(labels), hyper.learning_rate * linearWarmupDecay(s, warmup, 8));
    const after = await readSafetensors(request.after);
    let worst = 0;
    for (const { name, variable, transposed } of classifier.model.adapter.variables) {
      const ours = tf.tidy(() => (transposed ? tf.transpose(variable) : variable).dataSync() as Float32Array);
      worst = Math.max(worst, maxAbsDiff(ours, after.get(name)!.data));
    }
    console.log(`four-step parity: max |weight diff| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `max |diff| after four steps: ${worst}`);
  } finally {
    classifier.dispose();
  }
});

test.run();
