/**
 * sentiment.lora → sentiment.predict / sentiment.evaluate on the real encoder with a
 * few headlines (max_length 16): the peft directory, bit-identical adapters for a seed,
 * the curve, predict's columns, evaluate's metrics. The live peft round trip (our
 * directory loaded by PeftModel.from_pretrained) needs the torch venv.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import lora from '../../steps/sentiment.lora/plugin.ts';
import predict from '../../steps/sentiment.predict/plugin.ts';
import evaluate from '../../steps/sentiment.evaluate/plugin.ts';
import { numberColumn, stringColumn } from '../../engine/table/rows.ts';
import { tableInput, withDefaults, rejection } from '../ingest/harness.ts';
import { headlines } from './data.ts';
import { dirInput, encoderOrSkip, listDir, maxAbsDiff, reference, stepContext, torchPythonOrSkip } from './support.ts';

const ENCODER_HASH = 'sha256:encoder-under-test';
const PARAMS = { max_length: 16, batch_size: 6, epochs: 2, learning_rate: 0.002, seed: 5 };

async function trainOnce(encoder: string) {
  const ctx = stepContext();
  const out = await lora.run(ctx, withDefaults(lora, PARAMS), {
    encoder: dirInput(encoder, ENCODER_HASH),
    train: tableInput(headlines(4)),
    validation: tableInput(headlines(2, 1)),
  });
  return { out, ctx };
}

let trained: Awaited<ReturnType<typeof trainOnce>> | undefined;

test('sentiment.lora writes a peft directory, a curve and validation metrics', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder) return;
  trained = await trainOnce(encoder);
  const { out } = trained;
  assert.is(out.model!.kind, 'dir');
  const dir = (out.model as { path: string }).path;
  assert.equal(listDir(dir), ['adapter_config.json', 'adapter_model.safetensors', 'tradepipe.json']);
  const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.equal(
    { peft_type: config.peft_type, task_type: config.task_type, r: config.r, lora_alpha: config.lora_alpha, target_modules: config.target_modules, modules_to_save: config.modules_to_save },
    { peft_type: 'LORA', task_type: 'SEQ_CLS', r: 8, lora_alpha: 32, target_modules: ['query', 'value'], modules_to_save: ['classifier', 'score'] },
  );
  assert.equal(JSON.parse(readFileSync(join(dir, 'tradepipe.json'), 'utf8')), {
    labels: ['negative', 'neutral', 'positive'],
    max_length: 16,
    encoder_hash: ENCODER_HASH,
    text_column: 'headline',
  });
  const curve = (out.curve as { table: import('../../engine/table/table.ts').Table }).table;
  // 12 examples / batch 6 = 2 steps per epoch, 2 epochs.
  assert.equal([...curve.columns.step!], [1, 2, 3, 4]);
  assert.equal([...curve.columns.epoch!], [0.5, 1, 1.5, 2]);
  // No warm-up: the first step runs at the peak rate, then linear decay to 0.
  assert.equal([...numberColumn(curve, 'learning_rate')].map((v) => +v.toPrecision(6)), [0.002, 0.0015, 0.001, 0.0005]);
  const f1 = numberColumn(curve, 'val_weighted_f1');
  assert.ok(Number.isNaN(f1[0]!) && !Number.isNaN(f1[1]!) && Number.isNaN(f1[2]!) && !Number.isNaN(f1[3]!), `val_weighted_f1 ${[...f1]}`);
  const metrics = (out.metrics as { value: Record<string, number> }).value;
  assert.is(metrics.count, 6);
  assert.is(metrics.weighted_f1, f1[3]);
});

test('the same seed gives bit-identical adapter weights', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder || !trained) return;
  const again = await trainOnce(encoder);
  const digest = (out: typeof again.out) => createHash('sha256').update(readFileSync(join((out.model as { path: string }).path, 'adapter_model.safetensors'))).digest('hex');
  assert.is(digest(again.out), digest(trained.out));
});

test('sentiment.predict adds probabilities and `predicted`, renames `label` to `true_label`', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder || !trained) return;
  const news = headlines(2, 2);
  const out = await predict.run(stepContext(), withDefaults(predict, { batch_size: 4 }), {
    model: dirInput((trained.out.model as { path: string }).path, 'sha256:model'),
    encoder: dirInput(encoder, ENCODER_HASH),
    news: tableInput(news),
  });
  const scored = (out.sentiment as { table: import('../../engine/table/table.ts').Table }).table;
  assert.equal(scored.names, ['headline', 'true_label', 'negative', 'neutral', 'positive', 'predicted']);
  assert.equal(stringColumn(scored, 'true_label'), stringColumn(news, 'label'));
  for (let i = 0; i < scored.rows; i++) {
    const p = ['negative', 'neutral', 'positive'].map((l) => numberColumn(scored, l)[i]!);
    assert.ok(Math.abs(p[0]! + p[1]! + p[2]! - 1) < 1e-6, `row ${i} sums to ${p[0]! + p[1]! + p[2]!}`);
    assert.is(stringColumn(scored, 'predicted')[i], ['negative', 'neutral', 'positive'][p.indexOf(Math.max(...p))]);
  }
});

test('sentiment.predict with a helper thread gives bit-identical probabilities', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder || !trained) return;
  const news = headlines(3, 4);
  const score = async (threads: number) => {
    const out = await predict.run(stepContext(), withDefaults(predict, { batch_size: 1, threads }), {
      model: dirInput((trained!.out.model as { path: string }).path, 'sha256:model'),
      encoder: dirInput(encoder, ENCODER_HASH),
      news: tableInput(news),
    });
    const scored = (out.sentiment as { table: import('../../engine/table/table.ts').Table }).table;
    return ['negative', 'neutral', 'positive'].map((l) => [...numberColumn(scored, l)]);
  };
  // 9 batches of one: the helper thread takes some of them.
  assert.equal(await score(2), await score(1));
});

test('sentiment.predict refuses an adapter trained on another encoder', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder || !trained) return;
  const message = await rejection(
    predict.run(stepContext(), withDefaults(predict, {}), {
      model: dirInput((trained.out.model as { path: string }).path, 'sha256:model'),
      encoder: dirInput(encoder, 'sha256:another'),
      news: tableInput(headlines(1)),
    }),
  );
  assert.is(message, `input \`model\` was trained on encoder ${ENCODER_HASH}, but input \`encoder\` is sha256:another: connect the encoder the adapter was trained on`);
});

test('sentiment.evaluate: metrics agree with its predictions; an unknown label names its row', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder || !trained) return;
  const inputs = { model: dirInput((trained.out.model as { path: string }).path, 'sha256:model'), encoder: dirInput(encoder, ENCODER_HASH) };
  const test_ = headlines(3, 5);
  const out = await evaluate.run(stepContext(), withDefaults(evaluate, {}), { ...inputs, test: tableInput(test_) });
  const metrics = (out.metrics as { value: { accuracy: number; confusion_matrix: number[][]; count: number } }).value;
  const predictions = (out.predictions as { table: import('../../engine/table/table.ts').Table }).table;
  const truth = stringColumn(predictions, 'true_label');
  const predicted = stringColumn(predictions, 'predicted');
  const correct = truth.filter((t, i) => t === predicted[i]).length;
  assert.is(metrics.count, 9);
  assert.is(metrics.accuracy, correct / 9);
  assert.is(metrics.confusion_matrix.flat().reduce((a, b) => a + b, 0), 9);

  const bad = headlines(1);
  (bad.columns.label as string[])[1] = 'bullish';
  const message = await rejection(evaluate.run(stepContext(), withDefaults(evaluate, {}), { ...inputs, test: tableInput(bad) }));
  assert.is(message, 'input `test`: row 2: `label` is `bullish`; expected one of negative, neutral, positive');
});

test('a backend that cannot start is an error, not a fallback (webgpu without a GPU adapter: SKIP where one exists)', async () => {
  const encoder = await encoderOrSkip('sentiment/plugins');
  if (!encoder) return;
  try {
    await lora.run(stepContext(), withDefaults(lora, { ...PARAMS, epochs: 1, device: 'webgpu' }), {
      encoder: dirInput(encoder, ENCODER_HASH),
      train: tableInput(headlines(1)),
    });
    console.log('SKIP sentiment.lora on webgpu: a GPU adapter exists here, so it trained');
  } catch (error) {
    assert.match((error as Error).message, 'device `webgpu`: no GPU adapter available');
  }
});

test('PeftModel.from_pretrained loads our directory; its probabilities equal sentiment.predict (1e-4)', async () => {
  const encoder = await encoderOrSkip('sentiment/peft round trip');
  const python = torchPythonOrSkip('sentiment/peft round trip');
  if (!encoder || !python || !trained) return;
  const news = headlines(3, 7);
  const out = await predict.run(stepContext(), withDefaults(predict, {}), {
    model: dirInput((trained.out.model as { path: string }).path, 'sha256:model'),
    encoder: dirInput(encoder, ENCODER_HASH),
    news: tableInput(news),
  });
  const scored = (out.sentiment as { table: import('../../engine/table/table.ts').Table }).table;
  const labels = ['negative', 'neutral', 'positive'];
  const ours = Array.from({ length: scored.rows }, (_, i) => labels.map((l) => numberColumn(scored, l)[i]!)).flat();
  const theirs = await reference<{ probabilities: number[][] }>(python, 'predict', {
    encoder,
    model: (trained.out.model as { path: string }).path,
    num_labels: 3,
    sentences: stringColumn(news, 'headline'),
    max_length: 16,
  });
  const diff = maxAbsDiff(ours, theirs.probabilities.flat());
  console.log(`peft round trip: max |probability diff| ${diff.toExponential(2)} over ${scored.rows} headlines`);
  assert.ok(diff < 1e-4, `max |diff| ${diff}`);
});

test.run();
