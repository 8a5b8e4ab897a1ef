/** ingest.table and data.split through the real CLI: Parquet storage, `show`, early cutoff. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { project, withStatus } from '../helpers/project.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'table');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

const PIPELINE = `pipeline: split
steps:
  prices:
    uses: ingest.table
    with: { path: data/prices.csv }
  split:
    uses: data.split
    inputs: { table: prices.table }
    with:
      train: { start: 2019-01-01, end: 2019-09-01 }
      validation: { start: 2019-09-01, end: 2019-12-01 }
      test: { start: 2019-12-01, end: 2020-03-01 }
`;

test('a CSV split like FinRL, shown as CSV; an edit that leaves the table unchanged stops at ingest', async () => {
  const p = project({ 'pipelines.d/split.yaml': PIPELINE, 'data/prices.csv': fixture('ohlcv.shuffled.csv') });
  try {
    const first = await p.runJson('pipelines.d/split.yaml');
    assert.is(first.code, 0, first.stderr);
    assert.equal(withStatus(first.statuses, 'executed'), ['prices', 'split']);
    for (const name of ['train', 'validation', 'test']) {
      const shown = await p.run(['show', 'pipelines.d/split.yaml', `split.${name}`, '--format', 'csv']);
      assert.is(shown.stdout.trimEnd(), fixture(`split.${name}.expected.csv`).trimEnd(), name);
    }
    // Blank lines change the file but not the table: the Parquet bytes are identical, so split is not rerun.
    appendFileSync(join(p.dir, 'data/prices.csv'), '\n\n');
    const again = await p.runJson('pipelines.d/split.yaml');
    assert.equal([again.statuses.prices, again.statuses.split], ['executed', 'cached']);
    assert.equal(again.result.steps.find((s) => s.id === 'prices')!.outputs, first.result.steps.find((s) => s.id === 'prices')!.outputs);
  } finally {
    p.cleanup();
  }
});

test('a malformed CSV fails the step with file:line', async () => {
  const p = project({ 'pipelines.d/split.yaml': PIPELINE, 'data/prices.csv': 'date,tic,close\n2019-01-02,AAA,1\n2019-01-03,AAA\n' });
  try {
    const r = await p.runJson('pipelines.d/split.yaml');
    assert.is.not(r.code, 0);
    assert.is(r.statuses.prices, 'failed');
    assert.match(r.result.steps.find((s) => s.id === 'prices')!.error ?? '', 'data/prices.csv:3: expected 3 fields, found 2');
  } finally {
    p.cleanup();
  }
});

test.run();
