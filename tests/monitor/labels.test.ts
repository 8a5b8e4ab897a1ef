/** Tracked metric keys carrying Prometheus labels, both ways. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labelledMetric, parseLabelledMetric } from '../../engine/metrics/labels.ts';

test('labelledMetric and parseLabelledMetric round-trip; / and : in values become _', () => {
  const key = labelledMetric('column_drifted', { group: 'BRK/B', column: 'ratio:x' });
  assert.is(key, 'column_drifted/group:BRK_B/column:ratio_x');
  assert.equal(parseLabelledMetric(key), { name: 'column_drifted', labels: { group: 'BRK_B', column: 'ratio_x' } });
});

test('keys without labels keep their path as the name (time/fps -> time_fps)', () => {
  assert.equal(parseLabelledMetric('Sharpe ratio'), { name: 'Sharpe ratio', labels: {} });
  assert.equal(parseLabelledMetric('time/fps'), { name: 'time_fps', labels: {} });
  assert.equal(parseLabelledMetric('train/loss/phase:eval'), { name: 'train_loss', labels: { phase: 'eval' } });
});

test('a label name Prometheus would reject is an error', () => {
  assert.throws(() => labelledMetric('x', { 'bad-label': 'v' }), /metric label `bad-label` must match/);
});

test.run();
