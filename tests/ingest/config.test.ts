/** The shipped config/data_sources.yaml and config/common/global_vars.yaml against their schemas and plugins. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import ohlcv from '../../steps/ingest.ohlcv/plugin.ts';
import news from '../../steps/ingest.news/plugin.ts';
import type { DataSources } from '../../config/data_sources.ts';
import type { GlobalVars } from '../../schemas/global_vars.ts';
import type { OhlcvParams } from '../../steps/ingest.ohlcv/params.ts';
import type { NewsParams } from '../../steps/ingest.news/params.ts';
import { stringColumn } from '../../engine/table/rows.ts';
import { runTable, tableInput } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const readYaml = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8'));
const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/** Compiles a project schema with its file URL as $id, so relative $refs to plugin schemas resolve. */
function validator(schemaPath: string, referenced: string[] = []) {
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const path of referenced) ajv.addSchema({ ...readJson(path), $id: pathToFileURL(join(ROOT, path)).href });
  return ajv.compile({ ...readJson(schemaPath), $id: pathToFileURL(join(ROOT, schemaPath)).href });
}

const globals = readYaml('config/common/global_vars.yaml') as GlobalVars;
const sources = readYaml('config/data_sources.yaml') as DataSources;
const priceBlocks = Object.entries(sources).filter(([name]) => name !== 'news') as [string, OhlcvParams][];
const newsBlocks = Object.entries(sources.news ?? {}) as [string, NewsParams][];

test('config/common/global_vars.yaml validates against schemas/global_vars.schema.json', () => {
  const validate = validator('schemas/global_vars.schema.json');
  assert.ok(validate(globals), JSON.stringify(validate.errors));
  assert.not.ok(validate({ ...globals, TRAIN_START_DATE: '2014-13-01' }), 'a bad date is caught');
  assert.not.ok(validate({ ...globals, lower_case: 1 }), 'variables are UPPER_CASE');
});

test('config/data_sources.yaml validates against config/data_sources.schema.json', () => {
  const validate = validator('config/data_sources.schema.json', ['steps/ingest.ohlcv/params.schema.json', 'steps/ingest.news/params.schema.json']);
  assert.ok(validate(sources), JSON.stringify(validate.errors));
  assert.not.ok(validate({ ...sources, synthetic: { ...sources.synthetic, tickerz: ['AAA'] } }), 'an unknown param is caught');
  assert.not.ok(validate({ ...sources, news: { x: { source: 'reddit' } } }), 'an unknown news source is caught');
});

test('every block passes its plugin\'s semantic checks', () => {
  for (const [name, block] of priceBlocks) assert.equal(ohlcv.check!(block), [], name);
  for (const [name, block] of newsBlocks) assert.equal(news.check!(block), [], `news.${name}`);
});

test('splits are contiguous and ordered; the synthetic and yahoo ranges cover them all', () => {
  const order = ['TRAIN', 'VALIDATION', 'TEST', 'TRADE'] as const;
  order.forEach((split, i) => {
    const start = globals[`${split}_START_DATE`];
    const end = globals[`${split}_END_DATE`];
    assert.ok(start < end, `${split}: ${start} < ${end}`);
    if (i > 0) assert.is(start, globals[`${order[i - 1]!}_END_DATE`], `${split} starts where the previous split ends`);
  });
  for (const name of ['synthetic', 'synthetic_index', 'synthetic_vix', 'yahoo', 'yahoo_index', 'yahoo_vix']) {
    const block = sources[name] as OhlcvParams;
    assert.equal([block.start, block.end], [globals.TRAIN_START_DATE, globals.TRADE_END_DATE], name);
  }
});

test('the default blocks run offline: ten synthetic stocks, their index and VIX, and headlines', async () => {
  const prices = await runTable(ohlcv, sources.synthetic as Record<string, unknown>, { port: 'prices' });
  assert.is(new Set(stringColumn(prices, 'tic')).size, 10);
  assert.is(stringColumn(prices, 'date')[0], '2014-01-06');
  const dji = await runTable(ohlcv, sources.synthetic_index as Record<string, unknown>, { port: 'prices' });
  const vix = await runTable(ohlcv, sources.synthetic_vix as Record<string, unknown>, { port: 'prices' });
  assert.is(dji.rows, prices.rows / 10);
  assert.is(vix.rows, prices.rows / 10);
  const headlines = await runTable(news, sources.news!.synthetic as Record<string, unknown>, { port: 'news', inputs: { prices: tableInput(prices) } });
  assert.is(headlines.rows, prices.rows - 10);
});

test.run();
