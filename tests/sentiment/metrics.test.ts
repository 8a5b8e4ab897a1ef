/** Classification metrics against scikit-learn: hand-checked cases always, random cases live against sklearn. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Draws } from '../../steps/lib/random.ts';
import { classificationMetrics } from '../../steps/lib/sentiment/metrics.ts';
import { reference, torchPythonOrSkip } from './support.ts';

const LABELS = ['negative', 'neutral', 'positive'];

test('hand-checked: per-class metrics, averages, confusion matrix', () => {
  // truth:     neg neg neu pos pos pos
  // predicted: neg pos neu pos neu pos
  const m = classificationMetrics(LABELS, [0, 0, 1, 2, 2, 2], [0, 2, 1, 2, 1, 2]);
  assert.equal(m.confusion_matrix, [[1, 0, 1], [0, 1, 0], [0, 1, 2]]);
  assert.equal(m.per_class.negative, { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
  assert.equal(m.per_class.neutral, { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 });
  assert.equal(m.per_class.positive, { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
  assert.is(m.accuracy, 4 / 6);
  assert.ok(Math.abs(m.macro_f1 - 2 / 3) < 1e-15 && Math.abs(m.weighted_f1 - 2 / 3) < 1e-15);
});

test('a label neither true nor predicted is left out of the averages (sklearn with labels=None)', () => {
  const m = classificationMetrics(LABELS, [0, 0, 2], [0, 2, 2]);
  assert.equal(m.per_class.neutral, { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.ok(Math.abs(m.macro_f1 - (2 / 3 + 2 / 3) / 2) < 1e-15);
});

test('random cases equal scikit-learn', async () => {
  const python = torchPythonOrSkip('sentiment/metrics vs scikit-learn');
  if (!python) return;
  const draws = new Draws(1, 'metrics-test');
  const cases = [1, 7, 50, 400].map((n) => {
    const truth = Array.from({ length: n }, () => Math.floor(draws.uniform() * 3));
    // Mostly right, and class 2 is only ever predicted when right: exercises zero_division on small n.
    const predicted = truth.map((t) => (draws.uniform() < 0.6 ? t : Math.floor(draws.uniform() * 2)));
    return { truth, predicted };
  });
  const answers = await reference<{ cases: Record<string, number | number[] | number[][]>[] }>(python, 'metrics', { cases, labels: LABELS });
  for (const [c, { truth, predicted }] of cases.entries()) {
    const n = truth.length;
    const ours = classificationMetrics(LABELS, truth, predicted);
    const theirs = answers.cases[c]!;
    for (const key of ['weighted_f1', 'macro_f1', 'accuracy'] as const) assert.ok(Math.abs(ours[key] - (theirs[key] as number)) < 1e-12, `n=${n} ${key}: ${ours[key]} vs ${theirs[key]}`);
    for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
      LABELS.forEach((label, j) => assert.ok(Math.abs(ours.per_class[label]![key] - (theirs[key] as number[])[j]!) < 1e-12, `n=${n} ${label} ${key}`));
    }
    assert.equal(ours.confusion_matrix, theirs.confusion_matrix);
  }
});

test.run();
