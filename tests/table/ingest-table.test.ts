import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import plugin from '../../steps/ingest.table/plugin.ts';
import type { IngestTableParams } from '../../steps/ingest.table/params.ts';
import type { Table } from '../../engine/table/table.ts';
import { parseCsv } from '../../engine/table/csv.ts';
import { rejection, stepContext } from './helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

async function ingest(params: IngestTableParams, projectRoot = root): Promise<{ table: Table; lines: string[] }> {
  const ctx = stepContext(projectRoot);
  const out = await plugin.run(ctx, params, {});
  const artifact = out.table!;
  if (artifact.kind !== 'table') throw new Error(`expected a table, got ${artifact.kind}`);
  return { table: artifact.table, lines: ctx.lines };
}

const failure = (params: IngestTableParams, projectRoot = root) => rejection(() => ingest(params, projectRoot));

test('an equity curve CSV becomes a table', async () => {
  const { table, lines } = await ingest({ path: 'table/account_value.csv' });
  assert.equal(table.names, ['date', 'account_value']);
  assert.is(table.rows, 253);
  assert.is(table.columns.date![0], '2021-01-04');
  assert.is(table.columns.account_value![0], 1000000);
  assert.is(table.columns.account_value![1], 982195.04588759795);
  assert.equal(lines, ['253 rows, 2 columns from table/account_value.csv']);
});

test('a Parquet file written by pandas gives the same table as its CSV', async () => {
  const { table } = await ingest({ path: 'table/ohlcv.pyarrow.parquet' });
  const csv = parseCsv(readFileSync(join(root, 'table', 'ohlcv.csv'), 'utf8'), { file: 'ohlcv.csv' });
  assert.equal(table.names, csv.names);
  for (const name of csv.names) assert.equal(table.columns[name], csv.columns[name], name);
});

test('declared types: CSV cells are parsed as declared; Parquet columns converted losslessly', async () => {
  const fromCsv = await ingest({ path: 'table/ohlcv.csv', types: { volume: 'int' } });
  assert.instance(fromCsv.table.columns.volume, Int32Array);
  const fromParquet = await ingest({ path: 'table/ohlcv.pyarrow.parquet', types: { volume: 'int' } });
  assert.equal(fromParquet.table.columns.volume, fromCsv.table.columns.volume);
  assert.is(
    await failure({ path: 'table/ohlcv.pyarrow.parquet', types: { close: 'int' } }),
    'table/ohlcv.pyarrow.parquet: column `close` is declared int but row 1 holds 50.01592515',
  );
  assert.is(
    await failure({ path: 'table/ohlcv.pyarrow.parquet', types: { tic: 'number' } }),
    'table/ohlcv.pyarrow.parquet: column `tic` is declared number but holds string values',
  );
  assert.is(
    await failure({ path: 'table/ohlcv.pyarrow.parquet', types: { adj: 'number' } }),
    'table/ohlcv.pyarrow.parquet: table has no column `adj` (columns: date, tic, open, high, low, close, volume)',
  );
});

test('errors name the file as the pipeline wrote it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-ingest-'));
  writeFileSync(join(dir, 'broken.csv'), 'date,close\n2020-01-02,1\n2020-01-03\n');
  writeFileSync(join(dir, 'fake.parquet'), 'date,close\n');
  assert.is(await failure({ path: 'broken.csv' }, dir), 'broken.csv:3: expected 2 fields, found 1');
  assert.is(await failure({ path: 'fake.parquet' }, dir), 'fake.parquet: not a readable Parquet file: Parquet error: Invalid Parquet file. Corrupt footer');
  assert.is(await failure({ path: 'missing.csv' }, dir), `missing.csv: no such file (${join(dir, 'missing.csv')})`);
  assert.is(await failure({ path: join(dir, 'absent.csv') }, dir), `${join(dir, 'absent.csv')}: no such file`);
});

test('the file is a declared dependency; format comes from the extension', () => {
  assert.equal(plugin.files!({ path: 'data/curve.csv' }), { deps: ['data/curve.csv'] });
  assert.equal(plugin.check!({ path: 'data/curve.parquet' }), []);
  assert.equal(plugin.check!({ path: 'data/curve.txt', format: 'csv' }), []);
  assert.equal(plugin.check!({ path: 'data/curve.txt' }), [
    { path: ['format'], message: 'cannot tell the format of data/curve.txt from its extension: set format to csv or parquet' },
  ]);
  // An absolute path is an input outside the project (see tests/engine/absolute-paths.test.ts).
  assert.equal(plugin.check!({ path: '/abs/curve.csv' }), []);
  assert.equal(plugin.files!({ path: '/abs/curve.csv' }), { deps: ['/abs/curve.csv'] });
});

test.run();
