/**
 * LoRA fine-tuning and inference throughput of the sentiment plugins' model
 * (all-MiniLM-L6-v2, 6 layers, hidden 384; LoRA r 8 on query and value; 3 labels) on
 * the wasm backend, against peft + transformers on torch CPU (2 threads) with the same
 * sequences and hyperparameters, when the reference venv is there (TRADEPIPE_TORCH_PYTHON,
 * .ci/services/torch.sh). Training: max_length 64, batch 16, every sequence 64 tokens;
 * the first step warms up and is not timed. Inference: short headlines, batch 64,
 * padded per batch, on one thread and on two (sentiment.predict's default). Peak memory: this process's max RSS (run `npm run bench sentiment`
 * alone for a clean figure).
 */
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../steps/lib/agent/backend.ts';
import { Draws } from '../steps/lib/random.ts';
import { loadClassifier } from '../steps/lib/sentiment/classifier.ts';
import { initialAdapterValues } from '../steps/lib/sentiment/lora.ts';
import { predictProbabilities } from '../steps/lib/sentiment/predict.ts';
import { adamwStep } from '../steps/lib/sentiment/train.ts';
import { writePeftModel } from '../steps/lib/sentiment/peft-io.ts';
import { startHelpers } from '../steps/lib/sentiment/predict-helper.ts';
import { encoderOrSkip } from '../tests/sentiment/support.ts';
import type { BenchRow } from './harness.ts';

const MAX_LENGTH = 64;
const BATCH = 16;
const TIMED_STEPS = Number(process.env.SENTIMENT_BENCH_STEPS ?? 6);
const HEADLINES = 512;

const LONG = 'Operating profit of the Finnish group rose to EUR 13.1 mn in the third quarter from EUR 8.7 mn a year earlier, while net sales increased by 5 % and the outlook for the rest of the year was raised by the board, according to the company';
const TONES = ['shares jump after record revenue', 'shares slide after a profit warning', 'holds annual meeting as scheduled'];

function trainingTexts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${i} ${LONG} ${TONES[i % 3]} ${LONG}`);
}
function headlineTexts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `Ticker ${i % 97} ${TONES[i % 3]} on ${['Monday', 'strong demand', 'weak guidance from the chief executive'][i % 3]}`);
}

async function torchReference(encoder: string): Promise<{ train_examples_per_s: number; headlines_per_s: number; peak_rss_mb: number } | undefined> {
  const python = process.env.TRADEPIPE_TORCH_PYTHON;
  if (!python) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sentiment-bench-'));
  const texts = trainingTexts(BATCH * TIMED_STEPS);
  const request = {
    encoder,
    seed: 0,
    labels_order: ['negative', 'neutral', 'positive'],
    r: 8,
    lora_alpha: 32,
    lora_dropout: 0.1,
    target_modules: ['query', 'value'],
    learning_rate: 1e-4,
    weight_decay: 0.01,
    warmup_ratio: 0,
    batch_size: BATCH,
    epochs: 1,
    max_length: MAX_LENGTH,
    warmup_batches: 1,
    train_texts: texts,
    train_labels: texts.map((_, i) => i % 3),
    test_texts: headlineTexts(HEADLINES),
    test_labels: headlineTexts(HEADLINES).map((_, i) => i % 3),
    eval_batch_size: 64,
  };
  writeFileSync(join(dir, 'request.json'), JSON.stringify(request));
  const result = await execa(python, [join(import.meta.dirname, '..', 'tests', 'sentiment', 'reference.py'), 'train', join(dir, 'request.json')], {
    env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', TORCH_THREADS: '2' },
  });
  return JSON.parse(result.stdout);
}

export default async function bench(): Promise<BenchRow[]> {
  const encoder = await encoderOrSkip('bench sentiment');
  if (!encoder) return [];
  const { tf } = await initBackend('wasm');
  const settings = { r: 8, alpha: 32, dropout: 0.1, targetModules: ['query', 'value'] };
  const classifier = await loadClassifier(tf, encoder, settings, 3, (w) => initialAdapterValues(w, settings, 3, new Draws(0, 'bench'), 0.02));
  const { model, tokenizer } = classifier;
  const { seededDropout } = await import('../steps/lib/sentiment/bert.ts');
  const draws = new Draws(0, 'bench/dropout');
  const step = adamwStep(tf, model, tokenizer.padId, { weightDecay: 0.01, maxGradNorm: 1 }, seededDropout(tf, () => Math.floor(draws.uniform() * 0x7fffffff)));
  const sequences = trainingTexts(BATCH * (TIMED_STEPS + 1)).map((t) => tokenizer.encode(t, MAX_LENGTH));
  if (sequences.some((s) => s.length !== MAX_LENGTH)) throw new Error('bench sequences must fill max_length');
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 3);
  step(sequences.slice(0, BATCH), labels, 1e-4);
  let started = performance.now();
  for (let s = 1; s <= TIMED_STEPS; s++) step(sequences.slice(s * BATCH, (s + 1) * BATCH), labels, 1e-4);
  const trainRate = (TIMED_STEPS * BATCH) / ((performance.now() - started) / 1000);

  const headlines = headlineTexts(HEADLINES).map((t) => tokenizer.encode(t, MAX_LENGTH));
  await predictProbabilities(tf, model, tokenizer.padId, headlines.slice(0, 64), 64);
  started = performance.now();
  await predictProbabilities(tf, model, tokenizer.padId, headlines, 64);
  const inferRate = HEADLINES / ((performance.now() - started) / 1000);
  // sentiment.predict's default: a helper thread with its own wasm backend (started before timing, as the step's load is).
  const modelDir = mkdtempSync(join(tmpdir(), 'sentiment-bench-model-'));
  await writePeftModel(modelDir, model.adapter, { labels: ['negative', 'neutral', 'positive'], max_length: MAX_LENGTH, encoder_hash: 'bench', text_column: 'headline' });
  const helpers = await startHelpers(2, HEADLINES / 64, { encoderDir: encoder, modelDir });
  await helpers.scorers[0]!.score(headlines.slice(0, 64));
  started = performance.now();
  await predictProbabilities(tf, model, tokenizer.padId, headlines, 64, undefined, helpers.scorers);
  const inferRate2 = HEADLINES / ((performance.now() - started) / 1000);
  await helpers.close();
  classifier.dispose();
  const peakMb = process.resourceUsage().maxRSS / 1024;

  const torch = await torchReference(encoder);
  const rows: BenchRow[] = [
    { bench: 'sentiment', case: `LoRA training, wasm, max_length ${MAX_LENGTH}, batch ${BATCH}`, value: +trainRate.toFixed(1), unit: 'examples/s' },
    { bench: 'sentiment', case: 'inference, wasm, headlines, batch 64, 1 thread', value: +inferRate.toFixed(1), unit: 'headlines/s' },
    { bench: 'sentiment', case: 'inference, wasm, headlines, batch 64, 2 threads (sentiment.predict default)', value: +inferRate2.toFixed(1), unit: 'headlines/s' },
    { bench: 'sentiment', case: 'peak RSS of this process (wasm)', value: Math.round(peakMb), unit: 'MB' },
  ];
  if (torch) {
    const trainRatio = trainRate / torch.train_examples_per_s;
    const inferRatio = inferRate2 / torch.headlines_per_s;
    rows.push(
      { bench: 'sentiment', case: 'LoRA training, peft + torch CPU (2 threads), same batches', value: +torch.train_examples_per_s.toFixed(1), unit: 'examples/s' },
      { bench: 'sentiment', case: 'training speed, wasm / torch', value: +trainRatio.toFixed(2), unit: 'x', target: '>= 0.5x', ok: trainRatio >= 0.5 },
      { bench: 'sentiment', case: 'inference, peft + torch CPU (2 threads)', value: +torch.headlines_per_s.toFixed(1), unit: 'headlines/s' },
      { bench: 'sentiment', case: 'inference speed, wasm 2 threads / torch 2 threads', value: +inferRatio.toFixed(2), unit: 'x', target: '>= 1x', ok: inferRatio >= 1 },
      { bench: 'sentiment', case: 'peak RSS, torch reference process', value: Math.round(torch.peak_rss_mb), unit: 'MB' },
    );
  } else {
    console.error('sentiment bench: TRADEPIPE_TORCH_PYTHON not set, no torch comparison');
  }
  return rows;
}
