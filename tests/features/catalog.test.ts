import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FINRL_INDICATORS, parseIndicator, unknownIndicatorMessage } from '../../steps/lib/indicators/catalog.ts';
import plugin from '../../steps/features.indicators/plugin.ts';

test('stockstats names parse with their default windows', () => {
  assert.equal(parseIndicator('rsi_30'), { name: 'rsi_30', kind: 'rsi', window: 30 });
  assert.equal(parseIndicator('rsi'), { name: 'rsi', kind: 'rsi', window: 14 });
  assert.equal(parseIndicator('kdjk'), { name: 'kdjk', kind: 'kdjk', window: 9 });
  assert.equal(parseIndicator('dx'), { name: 'dx', kind: 'dx', window: 14 });
  assert.equal(parseIndicator('close_60_sma'), { name: 'close_60_sma', kind: 'sma', column: 'close', window: 60 });
  assert.equal(parseIndicator('volume_20_ema'), { name: 'volume_20_ema', kind: 'ema', column: 'volume', window: 20 });
  assert.equal(parseIndicator('boll_ub'), { name: 'boll_ub', kind: 'boll_ub' });
  for (const name of FINRL_INDICATORS) assert.ok(parseIndicator(name), name);
});

test('names stockstats itself rejects are unknown here too', () => {
  // adx and boll take no window in stockstats 0.6.8; windows are positive integers without leading zeros
  for (const name of ['adx_14', 'boll_ub_20', 'rsi_0', 'rsi_030', 'close_sma', 'amount_5_sma', 'RSI_30', 'rsi_30 ']) {
    assert.is(parseIndicator(name), undefined, name);
  }
});

test('an unknown name gets the exact message with the nearest valid name', () => {
  assert.is(
    unknownIndicatorMessage('rsx_30'),
    'unknown indicator `rsx_30`; expected a stockstats name such as rsi_N, macd, boll_ub, ... (did you mean `rsi_30`?)',
  );
  assert.is(unknownIndicatorMessage('close_30_smaa'), 'unknown indicator `close_30_smaa`; expected a stockstats name such as rsi_N, macd, boll_ub, ... (did you mean `close_30_sma`?)');
  assert.is(unknownIndicatorMessage('bollinger'), 'unknown indicator `bollinger`; expected a stockstats name such as rsi_N, macd, boll_ub, ...');
});

test('check() flags each unknown name at its index, before anything runs', () => {
  const issues = plugin.check!({ indicators: ['macd', 'rsx_30', 'close_30_sma', 'nope'] });
  assert.equal(issues, [
    { path: ['indicators', 1], message: 'unknown indicator `rsx_30`; expected a stockstats name such as rsi_N, macd, boll_ub, ... (did you mean `rsi_30`?)' },
    { path: ['indicators', 3], message: 'unknown indicator `nope`; expected a stockstats name such as rsi_N, macd, boll_ub, ...' },
  ]);
  assert.equal(plugin.check!({}), []);
});

test.run();
