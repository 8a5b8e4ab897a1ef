/**
 * The kill switch: cancel working orders, then close every position with market
 * orders. Needs no model and no data, so it works when the data feed does not.
 */
import type { Artifact, StepContext } from '../../engine/sdk.ts';
import { dateInZone } from '../lib/ingest/dates.ts';
import type { Broker } from './broker.ts';
import { FLATTEN_PREFIX, flattenOrderId } from './order-id.ts';
import { readAccount, OrderRun, type Settings } from './orders.ts';

export async function flatten(ctx: StepContext, broker: Broker, settings: Settings): Promise<Record<string, Artifact>> {
  const clock = await broker.clock();
  const date = dateInZone(Date.parse(clock.timestamp), 'America/New_York');
  const before = (await readAccount(broker)).state;
  // An earlier flatten's working orders stay: cancelling one while it fills and closing again could overshoot.
  const closing = new Map<string, number>();
  for (const o of await broker.openOrders()) {
    if (o.clientOrderId.startsWith(FLATTEN_PREFIX)) {
      closing.set(o.symbol, (closing.get(o.symbol) ?? 0) + (o.side === 'sell' ? 1 : -1) * (o.qty - o.filledQty));
    } else {
      await broker.cancel(o.id);
      ctx.log.info(`cancelled ${o.side} ${o.qty} ${o.symbol} (${o.clientOrderId})`);
    }
  }
  if (!clock.isOpen) ctx.log.warn(`market closed; the closing orders wait for the next open (${clock.nextOpen})`);
  const run = new OrderRun(ctx, broker, settings);
  const at = new Date();
  for (const [symbol, qty] of Object.entries(before.positions)) {
    const remaining = qty - (closing.get(symbol) ?? 0);
    if (remaining === 0) continue;
    const side = remaining > 0 ? 'sell' : 'buy';
    await run.send({ date, tic: symbol, side, qty: Math.abs(remaining), client_order_id: flattenOrderId(symbol, side, at), reason: 'flatten' });
  }
  return run.finish(before);
}
