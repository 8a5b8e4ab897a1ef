/** The env config schema, the shipped config file and the messages for bad ones. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvConfig, parseEnvConfig } from '../../steps/lib/trading-env/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

test('the shipped config/environments/stock_trading_env_config.yaml validates', () => {
  const config = loadEnvConfig(join(ROOT, 'config/environments/stock_trading_env_config.yaml'), ROOT);
  assert.equal(config, {
    hmax: 100,
    initial_amount: 1000000,
    num_stock_shares: 0,
    buy_cost_pct: 0.001,
    sell_cost_pct: 0.001,
    reward_scaling: 0.0001,
    turbulence_threshold: null,
    risk_indicator_col: 'turbulence',
    tech_indicator_list: ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'],
  });
});

test('defaults are FinRL tutorial values', () => {
  const config = parseEnvConfig({});
  assert.is(config.hmax, 100);
  assert.is(config.initial_amount, 1000000);
  assert.is(config.reward_scaling, 1e-4);
  assert.is(config.turbulence_threshold, null);
  assert.is(config.tech_indicator_list.length, 8);
});

test('a bad field in a config file is reported at file:line:col', () => {
  const dir = mkdtempSync(join(tmpdir(), 'env-config-'));
  const file = join(dir, 'env.yaml');
  writeFileSync(file, 'hmax: 100\ninitial_amount: lots\n');
  try {
    loadEnvConfig(file, dir);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /env\.yaml:2:17: field `initial_amount` must be a number, got string "lots"/);
  }
});

test('an unknown field is named with a suggestion', () => {
  assert.throws(() => parseEnvConfig({ hmx: 10 }), /unknown field `hmx` of env \(did you mean `hmax`\?\)/);
});

test.run();
