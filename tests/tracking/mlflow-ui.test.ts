/**
 * What a person sees: two runs of a pipeline (the second with cached steps) in the MLflow UI of a
 * real server (MLFLOW_TRACKING_URI, started by .ci/services/mlflow.sh), in headless Chromium. The
 * runs table shows each pipeline run with its step runs nested under it, and the plugin, cached,
 * epochs and loss columns hold what the runs logged. Leaves tests/artifacts/tracking/mlflow-ui.png.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RunResult } from '../../engine/executor.ts';
import { mlflowUriOrSkip } from './support.ts';
import { mlflowRest, pipelineRun, trackedProject } from './tracked-pipeline.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(import.meta.dirname, '..', 'artifacts', 'tracking', 'mlflow-ui.png');

/** Columns added to the runs table, as the column selector names them and the grid's `col-id`s. */
const COLUMNS = { 'tradepipe.plugin': 'tags.`tradepipe.plugin`', 'tradepipe.cached': 'tags.`tradepipe.cached`', epochs: 'params.`epochs`', loss: 'metrics.`loss`' };

function chromiumOrSkip(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`tracking/mlflow-ui: chromium not found at ${CHROMIUM} under CI=true (apt-get install -y chromium)`);
  console.log(`SKIP tracking/mlflow-ui: chromium not found at ${CHROMIUM}`);
  return false;
}

const uri = mlflowUriOrSkip('mlflow-ui');
if (uri && chromiumOrSkip()) {
  test('the MLflow UI shows each pipeline run with its step runs nested under it', async () => {
    const pipeline = `ui-${randomBytes(4).toString('hex')}`;
    const p = await trackedProject(pipeline);
    let first: RunResult;
    let second: RunResult;
    try {
      first = (await p.runTracked(uri)).result;
      second = (await p.runTracked(uri, ['--set', 'fit.epochs=3'])).result;
    } finally {
      p.cleanup();
    }
    const rest = mlflowRest(uri);
    const experimentId = await rest.experimentId(pipeline);
    const runs = await rest.runs(experimentId);
    const olderRun = pipelineRun(runs, first.runId);
    const newerRun = pipelineRun(runs, second.runId);

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 760 } });
      // workflowType: the "Model training" view of the experiment (MLflow 3 opens GenAI views by default).
      await page.goto(`${uri}/#/experiments/${experimentId}/runs?workflowType=machine_learning`, { waitUntil: 'load' });
      const row = (runId: string) => page.locator(`.ag-row[row-id="${runId}"]`);
      for (const { parent } of [olderRun, newerRun]) await row(parent.info.run_id).first().waitFor();

      // The assistant side panel would cover half of the table.
      const closeAssistant = page.getByRole('button', { name: 'Close' });
      if (await closeAssistant.isVisible()) await closeAssistant.click();

      await page.getByRole('button', { name: 'Columns' }).click();
      const selector = page.getByRole('dialog');
      // Dataset, Source and Models stay empty for pipeline runs: room for what the steps logged.
      for (const name of ['Dataset', 'Source', 'Models']) await selector.getByText(name, { exact: true }).click();
      for (const name of Object.keys(COLUMNS)) {
        await selector.getByPlaceholder('Search columns').fill(name);
        // The search highlights matches, so a node's text is only whole in its textContent.
        await selector.locator('[class*=tree-treenode]').filter({ hasText: new RegExp(`^${name.replaceAll('.', '\\.')}$`) }).locator('[class*=node-content-wrapper]').click();
      }
      await page.keyboard.press('Escape');

      for (const { parent, steps } of [olderRun, newerRun]) {
        await row(parent.info.run_id).locator('button[data-component-id*="runnamecellrenderer"]').click();
        for (const step of Object.values(steps)) await row(step.info.run_id).first().waitFor();
      }
      // Off the table, so no cell keeps a focus outline in the picture.
      await page.mouse.click(900, 680);

      // The grid renders each row in several containers (pinned columns, scrolled columns); merge them by row id.
      const table = await page.$$eval('.ag-row', (rows) => {
        const byId: Record<string, { index: number; cells: Record<string, string> }> = {};
        for (const r of rows) {
          const entry = (byId[r.getAttribute('row-id')!] ??= { index: Number(r.getAttribute('row-index')), cells: {} });
          for (const cell of r.querySelectorAll('[col-id]')) entry.cells[cell.getAttribute('col-id')!] = cell.querySelector('a')?.textContent ?? cell.textContent?.trim() ?? '';
        }
        return byId;
      });
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      // Newest first; each pipeline run followed by exactly its own step runs.
      const shown = Object.entries(table).sort((a, b) => a[1].index - b[1].index);
      const displayed = (from: number, count: number) => shown.slice(from, from + count).map(([id, r]) => [id, r.cells['attributes.`Run Name`']]);
      const stepRows = (steps: Record<string, { info: { run_id: string } }>) =>
        Object.entries(steps)
          .map(([id, run]) => [run.info.run_id, id])
          .sort();
      assert.is(shown.length, 10);
      assert.equal(displayed(0, 1), [[newerRun.parent.info.run_id, pipeline]]);
      assert.equal(displayed(1, 4).sort(), stepRows(newerRun.steps));
      assert.equal(displayed(5, 1), [[olderRun.parent.info.run_id, pipeline]]);
      assert.equal(displayed(6, 4).sort(), stepRows(olderRun.steps));

      const columns = (runId: string) => Object.values(COLUMNS).map((col) => table[runId]!.cells[col]);
      const stepColumns = (steps: Record<string, { info: { run_id: string } }>) => Object.fromEntries(Object.entries(steps).map(([id, run]) => [id, columns(run.info.run_id)]));
      assert.equal(stepColumns(olderRun.steps), {
        raw: ['exec', '-', '-', '-'],
        double: ['exec', '-', '-', '-'],
        base: ['add', '-', '-', '-'],
        fit: ['fit', '-', '5', '0.25'],
      });
      assert.equal(stepColumns(newerRun.steps), {
        raw: ['exec', 'true', '-', '-'],
        double: ['exec', 'true', '-', '-'],
        base: ['add', 'true', '-', '-'],
        fit: ['fit', '-', '3', '1'],
      });
    } finally {
      await browser.close();
    }
  });
}

test.run();
