/**
 * A real Prometheus scrapes `tradepipe metrics serve` with the shipped alert rules: after a
 * pipeline whose drift step reports drift, /api/v1/alerts shows TradepipeDataDrift firing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { REPO } from '../helpers/project.ts';
import { driftProject, freePort, toolOrSkip } from './support.ts';

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function alerts(url: string): Promise<Alert[]> {
  try {
    const res = await fetch(`${url}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: Alert[] } }).data.alerts;
  } catch {
    return []; // not up yet
  }
}

test('Prometheus fires TradepipeDataDrift from a drift step\'s verdict', async () => {
  const prometheus = await toolOrSkip('prometheus', 'monitor/prometheus');
  if (!prometheus) return;
  const p = driftProject();
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-prometheus-'));
  const exporter = p.spawn(['metrics', 'serve', '--port', '0']);
  const listening = once(exporter.stdout!, 'data') as Promise<[Buffer]>;
  let server: ReturnType<typeof execa> | undefined;
  try {
    const run = await p.runJson('drift.yaml');
    assert.is(run.code, 0, run.stderr);
    const [chunk] = await listening;
    const target = new URL(/serving metrics at (\S+)/.exec(chunk.toString())![1]!).host;

    // Short intervals: the alert (for: 0m) fires on the second evaluation after a scrape.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(REPO, 'monitoring/alerts/tradepipe.rules.yml')],
        scrape_configs: [{ job_name: 'tradepipe', static_configs: [{ targets: [target] }] }],
      }),
    );
    const port = await freePort();
    server = execa(prometheus, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { reject: false, all: true });
    const url = `http://127.0.0.1:${port}`;

    let firing: Alert[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      firing = (await alerts(url)).filter((a) => a.state === 'firing');
      if (firing.some((a) => a.labels.alertname === 'TradepipeDataDrift')) break;
      if (server.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const drift = firing.filter((a) => a.labels.alertname === 'TradepipeDataDrift').map((a) => a.labels.group ?? '(overall)').sort();
    assert.equal(drift, ['(overall)', 'AAPL', 'MSFT'], `firing: ${JSON.stringify(firing)}`);
    for (const a of firing.filter((a) => a.labels.alertname === 'TradepipeDataDrift')) {
      assert.is(a.labels.severity, 'warning');
      assert.is(a.labels.pipeline, 'drift.yaml');
      assert.is(a.labels.step, 'drift');
    }
    // The quality step's tickers check fails (NVDA is absent); the pipeline itself succeeded.
    assert.ok(firing.some((a) => a.labels.alertname === 'TradepipeDataQualityCheckFailed' && a.labels.check === 'tickers'));
    assert.not.ok(firing.some((a) => a.labels.alertname === 'TradepipePipelineFailed'));
  } finally {
    server?.kill('SIGTERM');
    await server;
    exporter.kill('SIGTERM');
    await exporter;
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
