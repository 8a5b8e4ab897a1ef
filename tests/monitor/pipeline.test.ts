/** pipelines.d/monitoring.yaml runs offline on the synthetic market: quality, then drift overall and per ticker. */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, REPO, withStatus } from '../helpers/project.ts';
import type { DriftReport } from '../../steps/monitor.drift/plugin.ts';
import type { QualityReport } from '../../steps/monitor.quality/plugin.ts';

const FILE = 'pipelines.d/monitoring.yaml';

test('monitoring.yaml: every check passes, the latest window drifts from the reference overall and per ticker; a rerun is cached', async () => {
  const p = project();
  try {
    for (const dir of ['config', 'pipelines.d']) cpSync(join(REPO, dir), join(p.dir, dir), { recursive: true });
    const cold = await p.runJson(FILE);
    assert.is(cold.code, 0, cold.stderr);
    assert.equal(withStatus(cold.statuses, 'executed'), ['drift', 'features', 'ohlcv', 'quality', 'vix', 'windows']);

    const quality = JSON.parse((await p.run(['show', FILE, 'quality.report'])).stdout) as QualityReport;
    assert.equal(quality.failed, []);
    assert.equal(quality.checks.map((c) => c.check), ['rows', 'missing', 'ranges', 'duplicates', 'staleness', 'tickers']);

    const drift = JSON.parse((await p.run(['show', FILE, 'drift.report'])).stdout) as DriftReport;
    assert.equal(drift.columns.map((c) => c.method), Array(8).fill('wasserstein'), 'over 1,000 reference rows: Wasserstein');
    assert.is(drift.dataset_drift, true);
    assert.equal(drift.groups!.map((g) => g.group), ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF', 'GGG', 'HHH', 'III', 'JJJ']);
    assert.ok(drift.groups!.every((g) => g.columns.every((c) => c.method === 'ks')), 'per ticker, at most 1,000 reference rows: K-S');

    const warm = await p.runJson(FILE);
    assert.equal(withStatus(warm.statuses, 'executed'), []);

    const metrics = await p.run(['metrics', 'show']);
    assert.match(metrics.stdout, /^tradepipe_monitor_drift_dataset_drifted\{group="AAA",pipeline="pipelines.d\/monitoring.yaml",step="drift"\} [01]$/m);
    assert.match(metrics.stdout, /^tradepipe_monitor_quality_checks_failed\{pipeline="pipelines.d\/monitoring.yaml",step="quality"\} 0$/m);
  } finally {
    p.cleanup();
  }
});

test.run();
