/**
 * The sentiment steps through the engine, as a user runs them: a tiny labelled set, the
 * real encoder from a local folder, LoRA for one epoch, evaluate, register as `finsent`,
 * promote on weighted_f1, then a second pipeline scoring with `models:/finsent@champion`
 * (with a helper thread, started from the CLI process).
 * The rerun is fully cached.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, withStatus } from '../helpers/project.ts';
import { encoderOrSkip } from './support.ts';

const rows = (tones: Record<string, string[]>) =>
  ['headline,label', ...Object.entries(tones).flatMap(([label, lines]) => lines.map((l) => `${l},${label}`))].join('\n');

const TRAIN = rows({
  positive: ['AAA shares jump after record revenue', 'Analysts upgrade BBB following strong earnings', 'CCC rallies as investors cheer a buyback', 'DDD climbs on a contract win'],
  negative: ['AAA shares slide after a profit warning', 'Analysts downgrade BBB following weak guidance', 'CCC tumbles as investors react to a lawsuit', 'DDD sinks on a recall'],
  neutral: ['AAA holds annual meeting as scheduled', 'BBB trades flat ahead of earnings', 'CCC announces date of quarterly report', 'DDD names a new auditor'],
});
const TEST = rows({
  positive: ['EEE shares jump after record revenue'],
  negative: ['EEE shares slide after a profit warning'],
  neutral: ['EEE holds annual meeting as scheduled'],
});

test('finetune -> evaluate -> register -> promote, then predict with models:/finsent@champion; reruns cached', async () => {
  const encoder = await encoderOrSkip('sentiment/pipeline');
  if (!encoder) return;
  const p = project({
    'data/train.csv': TRAIN,
    'data/test.csv': TEST,
    'pipelines.d/finetune.yaml': `steps:
  encoder: { uses: ingest.encoder, with: { source: path, path: ${JSON.stringify(encoder)} } }
  train: { uses: ingest.table, with: { path: data/train.csv } }
  test: { uses: ingest.table, with: { path: data/test.csv } }
  finetune:
    uses: sentiment.lora
    inputs: { encoder: encoder.encoder, train: train.table }
    with: { max_length: 16, batch_size: 6, epochs: 1, learning_rate: 0.002 }
  evaluate:
    uses: sentiment.evaluate
    inputs: { model: finetune.model, encoder: encoder.encoder, test: test.table }
  register:
    uses: registry.register
    inputs: { artifact: finetune.model, stats: evaluate.stats }
    with: { name: finsent }
  promote:
    uses: registry.promote
    inputs: { stats: evaluate.stats, candidate: register.model }
    with: { model: finsent, metric_conditions: [{ metric: weighted_f1, op: '>' }] }
`,
    'pipelines.d/score.yaml': `steps:
  encoder: { uses: ingest.encoder, with: { source: path, path: ${JSON.stringify(encoder)} } }
  news: { uses: ingest.table, with: { path: data/train.csv } }
  # Six batches of two: a helper thread (threads: 2) scores some of them.
  score:
    uses: sentiment.predict
    inputs: { encoder: encoder.encoder, news: news.table }
    with: { model: "models:/finsent@champion", batch_size: 2, threads: 2 }
`,
  });
  try {
    const first = await p.runJson('pipelines.d/finetune.yaml');
    assert.is(first.code, 0, first.stderr);
    assert.equal(withStatus(first.statuses, 'executed'), ['encoder', 'evaluate', 'finetune', 'promote', 'register', 'test', 'train']);
    const decision = JSON.parse((await p.run(['show', 'pipelines.d/finetune.yaml', 'promote.decision'])).stdout);
    assert.equal([decision.model, decision.challenger, decision.promoted, decision.reason], ['finsent', '1', true, 'no current champion']);
    assert.equal(decision.checks.map((c: { metric: string }) => c.metric), ['weighted_f1']);

    const again = await p.runJson('pipelines.d/finetune.yaml');
    assert.equal(withStatus(again.statuses, 'cached').length, 7);

    const scored = await p.runJson('pipelines.d/score.yaml');
    assert.is(scored.code, 0, scored.stderr);
    assert.is(scored.statuses.score, 'executed');
    const csv = (await p.run(['show', 'pipelines.d/score.yaml', 'score.sentiment', '--format', 'csv'])).stdout.trim().split('\n');
    assert.is(csv[0], 'headline,true_label,negative,neutral,positive,predicted');
    assert.is(csv.length, 13);
  } finally {
    p.cleanup();
  }
});

test.run();
