/** features.indicators run as the engine runs it: schema defaults applied, tables arriving through Parquet. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromParquet, toParquet } from '../../engine/table/parquet.ts';
import plugin from '../../steps/features.indicators/plugin.ts';
import { runTable, testContext, withDefaults } from '../ingest/harness.ts';
import { rejects } from '../backtest/step-context.ts';
import { tableInput } from '../table/helpers.ts';
import { EXACT, firstMismatch, fixtureTable, numbers } from './fixtures.ts';

test('defaults are FinRL\'s: the eight INDICATORS, clean, ffill/bfill, no vix or turbulence', async () => {
  const params = withDefaults(plugin, {});
  assert.equal(params, {
    indicators: ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'],
    clean: true,
    use_vix: false,
    vix_tic: '^VIX',
    use_turbulence: false,
    turbulence_lookback: 252,
    fill_missing: true,
  });
  const features = await runTable(plugin, {}, { port: 'features', inputs: { prices: tableInput(fixtureTable('ohlcv.csv')) } });
  assert.equal(features.names, ['date', 'tic', 'open', 'high', 'low', 'close', 'volume', ...params.indicators!]);
});

test('the preprocess golden through run(), and the output survives a Parquet round trip', async () => {
  const ctx = testContext();
  const features = await runTable(plugin, { use_vix: true, use_turbulence: true }, {
    ctx,
    port: 'features',
    inputs: { prices: tableInput(fixtureTable('preprocess-prices.csv')), vix: tableInput(fixtureTable('preprocess-vix.csv')) },
  });
  const expected = fixtureTable('preprocess.expected.csv');
  for (const name of expected.names.slice(2)) assert.is(firstMismatch(numbers(features, name), numbers(expected, name), EXACT), undefined, name);
  assert.equal(ctx.logs.find((l) => l.level === 'warn')?.message, 'clean dropped 1 ticker(s) missing a close on some date: GAP');
  const back = fromParquet(toParquet(features));
  assert.equal(back.names, features.names);
  for (const name of features.names) assert.equal(back.columns[name], features.columns[name], name);
});

test('use_vix without a vix input, and an unknown name that slipped past validation, fail with one message', async () => {
  const inputs = { prices: tableInput(fixtureTable('ohlcv.csv')) };
  await rejects(() => runTable(plugin, { use_vix: true }, { port: 'features', inputs }), 'use_vix is true but the `vix` input is not connected');
  await rejects(
    () => runTable(plugin, { indicators: ['rsx_30'] }, { port: 'features', inputs }),
    'unknown indicator `rsx_30`; expected a stockstats name such as rsi_N, macd, boll_ub, ... (did you mean `rsi_30`?)',
  );
});

test.run();
