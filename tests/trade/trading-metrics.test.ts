import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OrderRow } from '../../steps/trade.alpaca/journal.ts';
import { trackTradingMetrics } from '../../steps/trade.alpaca/trading-metrics.ts';
import { tradeContext } from './fixtures.ts';

const row = (status: string, reason = ''): OrderRow => ({ status, reason }) as OrderRow;

test('drawdown is measured from the highest equity the step has seen, across runs', async () => {
  const first = tradeContext({});
  await trackTradingMetrics(first, 10000, [row('filled'), row('filled'), row('rejected'), row('filled', 'clipped from 5 to 2 shares')]);
  assert.is(first.metrics.get('trading_drawdown'), 0);
  assert.is(first.metrics.get('trading_orders/status:filled'), 3);
  assert.is(first.metrics.get('trading_orders/status:rejected'), 1);
  assert.is(first.metrics.get('trading_clipped_orders'), 1);

  const lower = tradeContext({}, first.stateDir);
  await trackTradingMetrics(lower, 8800, []);
  assert.ok(Math.abs(lower.metrics.get('trading_drawdown')! - -0.12) < 1e-12);
  assert.is(lower.metrics.get('trading_equity'), 8800);

  const higher = tradeContext({}, first.stateDir);
  await trackTradingMetrics(higher, 10500, []);
  assert.is(higher.metrics.get('trading_drawdown'), 0, 'a new high resets the peak');
});

test.run();
