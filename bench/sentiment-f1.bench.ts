/**
 * Weighted F1 on the held-out synthetic test split of pipelines.d/sentiment_finetune.yaml: ours
 * (the pipeline's `evaluate` step, run or taken from the cache) next to peft + transformers on
 * torch trained on the same split with the same hyperparameters (hyperparameters/sentiment_lora.yaml
 * #/synthetic_headlines), when the reference venv is there (TRADEPIPE_TORCH_PYTHON).
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { encoderOrSkip } from '../tests/sentiment/support.ts';
import { BIN, REPO } from '../tests/helpers/project.ts';
import type { BenchRow } from './harness.ts';

const PIPELINE = 'pipelines.d/sentiment_finetune.yaml';
const LABELS = ['negative', 'neutral', 'positive'];

async function show<T>(target: string): Promise<T> {
  const result = await execa(BIN, ['show', PIPELINE, target, '--format', 'json'], { cwd: REPO, env: { NO_COLOR: '1' } });
  return JSON.parse(result.stdout) as T;
}

export default async function bench(): Promise<BenchRow[]> {
  const encoder = await encoderOrSkip('bench sentiment-f1');
  if (!encoder) return [];
  await execa(BIN, ['run', PIPELINE, 'evaluate'], { cwd: REPO, env: { NO_COLOR: '1' } });
  const ours = await show<{ weighted_f1: number; count: number }>('evaluate.stats');
  const rows: BenchRow[] = [{ bench: 'sentiment', case: `weighted F1, held-out synthetic split (${ours.count} headlines), ours (wasm)`, value: +ours.weighted_f1.toFixed(4), unit: '' }];
  const python = process.env.TRADEPIPE_TORCH_PYTHON;
  if (!python) {
    console.error('sentiment-f1 bench: TRADEPIPE_TORCH_PYTHON not set, no peft comparison');
    return rows;
  }
  type Row = { headline: string; label: string };
  const [train, test] = await Promise.all([show<Row[]>('split.train'), show<Row[]>('split.test')]);
  const hyper = parse(readFileSync(join(REPO, 'hyperparameters', 'sentiment_lora.yaml'), 'utf8')).synthetic_headlines;
  const dir = mkdtempSync(join(tmpdir(), 'sentiment-f1-'));
  writeFileSync(
    join(dir, 'request.json'),
    JSON.stringify({
      ...hyper,
      encoder,
      seed: 42,
      labels_order: LABELS,
      train_texts: train.map((r) => r.headline),
      train_labels: train.map((r) => LABELS.indexOf(r.label)),
      test_texts: test.map((r) => r.headline),
      test_labels: test.map((r) => LABELS.indexOf(r.label)),
    }),
  );
  const result = await execa(python, [join(REPO, 'tests', 'sentiment', 'reference.py'), 'train', join(dir, 'request.json')], {
    env: { HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', TORCH_THREADS: '2' },
  });
  const peft = JSON.parse(result.stdout) as { weighted_f1: number };
  rows.push({ bench: 'sentiment', case: `weighted F1, same split and hyperparameters, peft + torch`, value: +peft.weighted_f1.toFixed(4), unit: '' });
  return rows;
}
