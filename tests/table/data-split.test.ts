import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import plugin from '../../steps/data.split/plugin.ts';
import type { DataSplitParams } from '../../steps/data.split/params.ts';
import type { Artifact } from '../../engine/plugin.ts';
import { parseCsv } from '../../engine/table/csv.ts';
import { table, type Table } from '../../engine/table/table.ts';
import { rejection, stepContext, tableInput } from './helpers.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'table');
const csv = (name: string) => parseCsv(readFileSync(join(fixtures, name), 'utf8'), { file: name });

const FINRL_STYLE: DataSplitParams = {
  train: { start: '2019-01-01', end: '2019-09-01' },
  validation: { start: '2019-09-01', end: '2019-12-01' },
  test: { start: '2019-12-01', end: '2020-03-01' },
};

async function split(input: Table, params: DataSplitParams): Promise<Record<string, Table>> {
  const out = await plugin.run(stepContext(fixtures), params, { table: tableInput(input) });
  return Object.fromEntries(
    Object.entries(out).map(([name, artifact]: [string, Artifact]) => {
      if (artifact.kind !== 'table') throw new Error(`${name} is not a table`);
      return [name, artifact.table];
    }),
  );
}

const failure = (input: Table, params: DataSplitParams) => rejection(() => split(input, params));

test('matches FinRL data_split on shuffled rows, for all three periods', async () => {
  const outputs = await split(csv('ohlcv.shuffled.csv'), FINRL_STYLE);
  assert.equal(Object.keys(outputs), ['train', 'validation', 'test']);
  for (const name of ['train', 'validation', 'test']) {
    const expected = csv(`split.${name}.expected.csv`);
    const actual = outputs[name]!;
    assert.is(actual.rows, expected.rows, name);
    assert.equal(actual.names, expected.names, name);
    for (const column of expected.names) assert.equal(actual.columns[column], expected.columns[column], `${name}.${column}`);
  }
  assert.equal([outputs.train!.rows, outputs.validation!.rows, outputs.test!.rows], [519, 195, 186]);
});

test('validation is optional: without it there is no validation port', async () => {
  const params: DataSplitParams = { train: FINRL_STYLE.train, test: FINRL_STYLE.test };
  const ports = plugin.outputs as (p: DataSplitParams) => Record<string, unknown>;
  assert.equal(Object.keys(ports(params)), ['train', 'test']);
  assert.equal(Object.keys(ports(FINRL_STYLE)), ['train', 'validation', 'test']);
  assert.equal(Object.keys(await split(csv('ohlcv.csv'), params)), ['train', 'test']);
});

test('a table without tic is sorted by date alone', async () => {
  const curve = table({ date: ['2020-01-03', '2020-01-01', '2020-01-02'], value: new Float64Array([3, 1, 2]) });
  const out = await split(curve, { train: { start: '2020-01-01', end: '2020-01-03' }, test: { start: '2020-01-03', end: '2020-01-04' } });
  assert.equal(out.train!.columns.value, new Float64Array([1, 2]));
  assert.equal(out.test!.columns.date, ['2020-01-03']);
});

test('an empty split is an error naming the range and the data span', async () => {
  const message = await failure(csv('ohlcv.csv'), { ...FINRL_STYLE, test: { start: '2021-01-01', end: '2022-01-01' } });
  assert.is(message, 'test range [2021-01-01, 2022-01-01) selects no rows: the data spans 2019-01-02 to 2020-02-25');
});

test('dates must be YYYY-MM-DD strings', async () => {
  const slashes = table({ date: ['2020-01-02', '2020/01/03'], tic: ['A', 'A'] });
  assert.is(await failure(slashes, FINRL_STYLE), 'column `date`, row 2: expected a YYYY-MM-DD date, found "2020/01/03"');
  const missing = table({ date: ['2020-01-02', null], tic: ['A', 'A'] });
  assert.is(await failure(missing, FINRL_STYLE), 'column `date`, row 2: expected a YYYY-MM-DD date, found an empty value');
  const numbers = table({ date: new Float64Array([20200102]) });
  assert.is(await failure(numbers, FINRL_STYLE), 'column `date` holds number values, expected string');
  const noDate = table({ day: ['2020-01-02'] });
  assert.is(await failure(noDate, FINRL_STYLE), 'table has no column `date` (columns: day)');
  assert.is(await failure(table({ date: [] }), FINRL_STYLE), 'the input table has no rows');
});

test('date_column picks another column', async () => {
  const t = table({ day: ['2019-03-01', '2019-10-01', '2020-01-02'], tic: ['A', 'A', 'A'] });
  const out = await split(t, { ...FINRL_STYLE, date_column: 'day' });
  assert.equal([out.train!.rows, out.validation!.rows, out.test!.rows], [1, 1, 1]);
});

test('check: each end must come after its start', () => {
  assert.equal(plugin.check!(FINRL_STYLE), []);
  assert.equal(plugin.check!({ ...FINRL_STYLE, validation: { start: '2019-12-01', end: '2019-12-01' } }), [
    { path: ['validation', 'end'], message: 'expected an end after start 2019-12-01, found 2019-12-01' },
  ]);
});

test('stratified: seeded, every class in proportion, parts disjoint and in input order', async () => {
  const label = [...Array(50).fill('neutral'), ...Array(30).fill('positive'), ...Array(20).fill('negative')];
  const input = table({ id: Float64Array.from(label, (_, i) => i), label });
  const params: DataSplitParams = { stratified: { column: 'label', test: 0.2, validation: 0.1, seed: 7 } };
  const parts = await split(input, params);
  assert.equal(Object.keys(parts).sort(), ['test', 'train', 'validation']);
  const count = (t: Table, value: string) => (t.columns.label as string[]).filter((l) => l === value).length;
  assert.equal(['neutral', 'positive', 'negative'].map((l) => count(parts.test!, l)), [10, 6, 4]);
  assert.equal(['neutral', 'positive', 'negative'].map((l) => count(parts.validation!, l)), [5, 3, 2]);
  assert.equal(['neutral', 'positive', 'negative'].map((l) => count(parts.train!, l)), [35, 21, 14]);
  const ids = (t: Table) => [...(t.columns.id as Float64Array)];
  const all = [...ids(parts.train!), ...ids(parts.validation!), ...ids(parts.test!)].sort((a, b) => a - b);
  assert.equal(all, Array.from({ length: 100 }, (_, i) => i));
  for (const part of Object.values(parts)) assert.equal(ids(part), [...ids(part)].sort((a, b) => a - b));
  assert.equal(ids((await split(input, params)).test!), ids(parts.test!));
  assert.not.equal(ids((await split(input, { stratified: { ...params.stratified!, seed: 8 } })).test!), ids(parts.test!));
});

test('stratified: ceil sizes, largest remainder; an empty class value and exclusive params are errors', async () => {
  const input = table({ label: ['a', 'a', 'a', 'b', 'b', 'c', 'c'] });
  const parts = await split(input, { stratified: { test: 0.3 } });
  // ceil(0.3 * 7) = 3 test rows: a 1.29, b 0.86, c 0.86 -> 1, 1, 1
  assert.equal([...(parts.test!.columns.label as string[])], ['a', 'b', 'c']);
  assert.is(await rejection(() => split(table({ label: ['a', null] }), { stratified: { test: 0.5 } })), 'column `label`, row 2: expected a class, found an empty value');
  assert.equal(plugin.check!({ stratified: { test: 0.5, validation: 0.5 }, train: FINRL_STYLE.train }), [
    { path: ['train'], message: 'date ranges and `stratified` exclude each other' },
    { path: ['stratified'], message: 'test + validation must leave rows to train on, found 1' },
  ]);
  assert.equal(plugin.check!({}), [
    { path: ['train'], message: 'is required (or split with `stratified`)' },
    { path: ['test'], message: 'is required (or split with `stratified`)' },
  ]);
});

test.run();
