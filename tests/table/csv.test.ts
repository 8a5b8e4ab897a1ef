import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvInputError, parseCsv, toCsv } from '../../engine/table/csv.ts';
import { orderedTable } from '../../engine/table/table.ts';
import { spelled } from './helpers.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'table');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const FILE = 'data/prices.csv';

function failure(text: string, types?: Record<string, 'number' | 'int' | 'string'>): CsvInputError {
  try {
    parseCsv(text, { file: FILE, types });
  } catch (error) {
    if (error instanceof CsvInputError) return error;
    throw error;
  }
  throw new Error('expected parseCsv to throw');
}

test('parses the OHLCV fixture with inferred types and exact values', () => {
  const t = parseCsv(read('ohlcv.csv'), { file: 'ohlcv.csv' });
  assert.equal(t.names, ['date', 'tic', 'open', 'high', 'low', 'close', 'volume']);
  assert.is(t.rows, 900);
  assert.equal((t.columns.date as string[]).slice(0, 2), ['2019-01-02', '2019-01-02']);
  assert.equal((t.columns.tic as string[]).slice(0, 3), ['AAA', 'BBB', 'CCC']);
  assert.instance(t.columns.close, Float64Array);
  assert.is(t.columns.open![0], 50.16909917);
  assert.is(t.columns.volume![899], 4744928);
  assert.is(t.columns.close![899], 117.9757403);
});

test('writing the parsed fixture gives back the same text', () => {
  const text = read('ohlcv.csv');
  assert.is(toCsv(parseCsv(text, { file: 'ohlcv.csv' })), text);
});

test('written numbers parse back to the same doubles (17-digit input is shortened, not rounded)', () => {
  const t = parseCsv(read('account_value.csv'), { file: 'account_value.csv' });
  assert.is(t.columns.account_value![1], 982195.04588759795);
  assert.ok(toCsv(t).includes('\n2021-01-05,982195.045887598\n'));
  assert.equal(parseCsv(toCsv(t), { file: 'again.csv' }).columns.account_value, t.columns.account_value);
});

test('a column is a number column when every cell is a number or missing', () => {
  const t = parseCsv('a,b,c,d,e\n1,x,,0x10,1e999\nNaN,2,,1,2\n-.5e3,3,,2,3\nnan,4,,3,4\n', { file: FILE });
  assert.instance(t.columns.a, Float64Array);
  assert.equal(spelled(t.columns.a), ['1', 'NaN', '-500', 'NaN']);
  assert.equal(t.columns.b, ['x', '2', '3', '4']);
  assert.equal(spelled(t.columns.c), ['NaN', 'NaN', 'NaN', 'NaN']);
  assert.equal(t.columns.d, ['0x10', '1', '2', '3'], 'hexadecimal is not a number');
  assert.equal(t.columns.e, ['1e999', '2', '3', '4'], 'an overflow to infinity is not a finite number');
});

test('empty cells are missing: NaN in number columns, null in string columns', () => {
  const t = parseCsv('s,n\n,1\n"",\nx,3\n', { file: FILE });
  assert.equal(t.columns.s, [null, null, 'x']);
  assert.equal(spelled(t.columns.n), ['1', 'NaN', '3']);
});

test('declared types are applied', () => {
  const t = parseCsv('tic,shares,price\n001,10,inf\n002,-3,-Infinity\n', {
    file: FILE,
    types: { tic: 'string', shares: 'int', price: 'number' },
  });
  assert.equal(t.columns.tic, ['001', '002']);
  assert.equal(t.columns.shares, new Int32Array([10, -3]));
  assert.equal(spelled(t.columns.price), ['Infinity', '-Infinity']);
});

test('quoting, CRLF, a BOM, blank lines and an unnamed index column', () => {
  const t = parseCsv('\ufeff,name,note\r\n0,"a,b","say ""hi"""\r\n\r\n1,"two\r\nlines",x\r\n', { file: FILE });
  assert.equal(t.names, ['Unnamed: 0', 'name', 'note']);
  assert.equal(t.columns.name, ['a,b', 'two\nlines'], 'line breaks are read as \\n');
  assert.equal(t.columns.note, ['say "hi"', 'x']);
});

test('a file mixing CRLF and LF line breaks splits into the right rows', () => {
  const t = parseCsv('a,b\r\n1,2\n3,4\r\n5,6\r7,8\n', { file: FILE });
  assert.equal(t.columns.b, new Float64Array([2, 4, 6, 8]));
});

test('a header without rows gives empty columns', () => {
  const t = parseCsv('date,close\n', { file: FILE, types: { date: 'string' } });
  assert.equal([t.names, t.rows], [['date', 'close'], 0]);
});

test('error: wrong field count names the line of the row', () => {
  const e = failure('date,tic,open,high,low,close,volume\n' + '2020-01-02,AAA,1,2,3,4,5\n'.repeat(15) + '2020-01-03,AAA,1,2,3,4\n');
  assert.is(e.message, 'data/prices.csv:17: expected 7 fields, found 6');
  assert.equal([e.file, e.line, e.column], [FILE, 17, undefined]);
});

test('error lines count blank lines and line breaks inside quoted fields', () => {
  assert.is(failure('a,b\n"x\ny",2\n\n\n3\n').message, 'data/prices.csv:6: expected 2 fields, found 1');
  assert.is(failure('a,b\r\n1,2\r\n\r\n3,4,5\r\n').message, 'data/prices.csv:4: expected 2 fields, found 3');
});

test('error: an unterminated quote names the line where its row starts', () => {
  assert.is(failure('a,b\n1,2\n\n"3,4\n5,6\n').message, 'data/prices.csv:4: expected a closing quote before the end of the file, found none');
  assert.is(failure('"a,b\n1,2\n').message, 'data/prices.csv:1: expected a closing quote before the end of the file, found none');
});

test('error: text after a closing quote; a quote inside an unquoted field is kept, as pandas does', () => {
  assert.is(failure('a,b\n1,2\n"3"x,4\n').message, 'data/prices.csv:3: expected a delimiter or a line break after the closing quote of a quoted field');
  assert.equal(parseCsv('a,b\n3x"y,4\n', { file: FILE }).columns.a, ['3x"y']);
});

test('error: a cell that does not fit its declared type names the column', () => {
  const e = failure('date,close\n2020-01-02,1\n2020-01-03,n/a\n', { close: 'number' });
  assert.is(e.message, 'data/prices.csv:3: column `close`: expected a number, found "n/a"');
  assert.equal([e.line, e.column], [3, 'close']);
  assert.is(failure('a,n\nx,2\ny,\n', { n: 'int' }).message, 'data/prices.csv:3: column `n`: expected an integer, found an empty cell');
  assert.is(failure('a,n\nx,2.5\n', { n: 'int' }).message, 'data/prices.csv:2: column `n`: expected an integer, found "2.5"');
  assert.is(failure('a,n\nx,3000000000\n', { n: 'int' }).message, 'data/prices.csv:2: column `n`: expected an integer, found "3000000000"');
});

test('error: header problems', () => {
  assert.is(failure('').message, 'data/prices.csv:1: expected a header row, found an empty file');
  assert.is(failure('a,b,a\n1,2,3\n').message, 'data/prices.csv:1: expected unique column names, found `a` twice');
  assert.is(failure('a,b\n1,2\n', { c: 'int' }).message, 'data/prices.csv:1: expected a column `c` (its type is declared), found columns a, b');
});

test('toCsv: round-trip precision, NaN and null as empty cells, RFC 4180 quoting', () => {
  const t = orderedTable(['x', 'i', 's'], {
    x: new Float64Array([0.1 + 0.2, NaN, 1e21, 5e-324]),
    i: new Int32Array([1, -2, 3, 4]),
    s: ['plain', null, 'a,"b"', 'two\nlines'],
  });
  assert.is(toCsv(t), 'x,i,s\n0.30000000000000004,1,plain\n,-2,\n1e+21,3,"a,""b"""\n5e-324,4,"two\nlines"\n');
  const back = parseCsv(toCsv(t), { file: 'back.csv' });
  assert.equal(spelled(back.columns.x), spelled(t.columns.x));
  assert.equal(back.columns.s, t.columns.s);
});

test.run();
