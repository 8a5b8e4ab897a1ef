import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { fromParquet, toParquet } from '../../engine/table/parquet.ts';
import { parseCsv } from '../../engine/table/csv.ts';
import { orderedTable, table, type Table } from '../../engine/table/table.ts';
import { spelled } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures', 'table');
const repo = join(here, '..', '..');

function sample(): Table {
  return orderedTable(['z', '2020', 'count', 'tic'], {
    z: new Float64Array([1.5, NaN, -0, Infinity, -Infinity, 5e-324, 0.1 + 0.2]),
    '2020': new Float64Array([NaN, NaN, NaN, NaN, NaN, NaN, NaN]),
    count: new Int32Array([0, -1, 2147483647, -2147483648, 7, 8, 9]),
    tic: ['AAA', null, '', 'é✓😀', 'x,"y"', 'line\nbreak', null],
  });
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('round trip keeps every value, NaN, -0, null and empty strings, and column order', () => {
  const t = sample();
  const back = fromParquet(toParquet(t));
  assert.equal(back.names, ['z', '2020', 'count', 'tic']);
  assert.is(back.rows, 7);
  const z = back.columns.z as Float64Array;
  assert.instance(z, Float64Array);
  assert.equal(spelled(z), ['1.5', 'NaN', '-0', 'Infinity', '-Infinity', '5e-324', '0.30000000000000004']);
  assert.ok((back.columns['2020'] as Float64Array).every(Number.isNaN));
  assert.instance(back.columns.count, Int32Array);
  assert.equal(Array.from(back.columns.count as Int32Array), [0, -1, 2147483647, -2147483648, 7, 8, 9]);
  assert.equal(back.columns.tic, ['AAA', null, '', 'é✓😀', 'x,"y"', 'line\nbreak', null]);
});

test('round trip of empty tables', () => {
  const none = fromParquet(toParquet(table({})));
  assert.equal([none.names, none.rows], [[], 0]);
  const noRows = fromParquet(toParquet(table({ a: new Float64Array(0), i: new Int32Array(0), s: [] })));
  assert.equal(noRows.names, ['a', 'i', 's']);
  assert.is(noRows.rows, 0);
  assert.instance(noRows.columns.i, Int32Array);
  assert.ok(Array.isArray(noRows.columns.s));
});

test('the same table always gives the same bytes', () => {
  const first = toParquet(sample());
  assert.equal(toParquet(sample()), first);
  assert.equal(toParquet(fromParquet(first)), first);
  // A string column without nulls is still written nullable: the schema depends on types only.
  const noNulls = toParquet(table({ s: ['a', 'b'] }));
  const withNull = toParquet(table({ s: ['a', null] }));
  assert.is(fromParquet(noNulls).columns.s![1], 'b');
  assert.is(fromParquet(withNull).columns.s![1], null);
});

test('equal values give equal bytes: any NaN bit pattern, typed-array views', () => {
  const literal = toParquet(table({ x: new Float64Array([NaN, 1]), i: new Int32Array([4, 5]) }));
  const zero = Number('0');
  const computed = new Float64Array([zero / zero, 1]); // negative quiet NaN on x86
  const payload = new Float64Array(new BigUint64Array([0x7ff8000000000001n, 0x3ff0000000000000n]).buffer);
  assert.equal(toParquet(table({ x: computed, i: new Int32Array([4, 5]) })), literal);
  assert.equal(toParquet(table({ x: payload, i: new Int32Array([4, 5]) })), literal);
  assert.is(new BigUint64Array(payload.buffer)[0], 0x7ff8000000000001n, 'the input is not modified');
  const views = table({ x: new Float64Array([9, NaN, 1, 9]).subarray(1, 3), i: new Int32Array([0, 4, 5]).subarray(1) });
  assert.equal(toParquet(views), literal);
});

test('bytes are identical across processes', () => {
  const script = `
    import { toParquet } from './engine/table/parquet.ts';
    import { parseCsv } from './engine/table/csv.ts';
    import { readFileSync } from 'node:fs';
    import { createHash } from 'node:crypto';
    const t = parseCsv(readFileSync('tests/fixtures/table/ohlcv.csv', 'utf8'), { file: 'ohlcv.csv' });
    process.stdout.write(createHash('sha256').update(toParquet(t)).digest('hex'));`;
  const other = execFileSync(join(repo, 'node_modules', '.bin', 'tsx'), ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  const here = parseCsv(readFileSync(join(fixtures, 'ohlcv.csv'), 'utf8'), { file: 'ohlcv.csv' });
  assert.is(other, sha(toParquet(here)));
});

test('importing the codec loads neither Arrow nor the wasm; the first call does', () => {
  const script = `
    import { createRequire } from 'node:module';
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /parquet_wasm|apache-arrow/.test(p)).length;
    const { toParquet } = await import('./engine/table/parquet.ts');
    const before = loaded();
    toParquet({ names: [], columns: {}, rows: 0 });
    process.stdout.write(JSON.stringify([before, loaded() > 0]));`;
  const out = execFileSync(join(repo, 'node_modules', '.bin', 'tsx'), ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  assert.is(out, '[0,true]');
});

test('reads what pandas/pyarrow write: several row groups, int64 and large strings', () => {
  const fromPandas = fromParquet(readFileSync(join(fixtures, 'ohlcv.pyarrow.parquet')));
  const fromCsv = parseCsv(readFileSync(join(fixtures, 'ohlcv.csv'), 'utf8'), { file: 'ohlcv.csv' });
  assert.equal(fromPandas.names, fromCsv.names);
  for (const name of fromCsv.names) assert.equal(fromPandas.columns[name], fromCsv.columns[name], name);
});

test('maps pandas column types onto number, int and string columns', () => {
  const t = fromParquet(readFileSync(join(fixtures, 'types.pandas.parquet')));
  assert.equal(t.names, ['date', 'time', 'volume', 'ratio', 'flag', 'sector', 'count', 'note']);
  assert.equal(t.columns.date, ['2020-01-02', '2020-01-03', null]);
  assert.equal(t.columns.time, ['2020-01-02 09:30:00', '2020-01-03 16:00:00.500', '2020-01-03 00:00:00']);
  assert.equal(t.columns.volume, new Float64Array([1, 2, 3]));
  assert.equal(spelled(t.columns.ratio), ['1.5', 'NaN', '3']);
  assert.equal(t.columns.flag, new Int32Array([1, 0, 1]));
  assert.equal(t.columns.sector, ['tech', 'energy', 'tech']);
  assert.instance(t.columns.count, Float64Array);
  assert.equal(spelled(t.columns.count), ['1', 'NaN', '3']);
  assert.equal(t.columns.note, ['x', null, 'é']);
});

test('bytes that are not Parquet give one clear error', () => {
  assert.throws(
    () => fromParquet(new TextEncoder().encode('date,close\n')),
    (e: Error) => e.message === 'not a readable Parquet file: Parquet error: Invalid Parquet file. Corrupt footer',
  );
});

test.run();
