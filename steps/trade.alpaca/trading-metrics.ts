/**
 * The metrics monitoring/alerts/*.rules.yml reads from any trading step: `trading_equity`,
 * `trading_drawdown` (below the account's peak, as a negative fraction), `trading_orders`
 * by `status`, and `trading_clipped_orders`. The peak is the highest equity this step has
 * seen, kept in its state folder because the broker's history is not among the endpoints
 * the step may call.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledMetric, writeFileAtomic, type StepContext } from '../../engine/sdk.ts';
import type { OrderRow } from './journal.ts';

export async function trackTradingMetrics(ctx: StepContext, equity: number, rows: readonly OrderRow[]): Promise<void> {
  ctx.track.metric('trading_equity', equity);
  const peak = ctx.stateDir ? await updatePeak(join(ctx.stateDir, 'peak-equity.json'), equity) : equity;
  ctx.track.metric('trading_drawdown', peak > 0 ? equity / peak - 1 : 0);
  const byStatus = new Map<string, number>();
  for (const row of rows) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
  for (const [status, count] of byStatus) ctx.track.metric(labelledMetric('trading_orders', { status }), count);
  ctx.track.metric('trading_clipped_orders', rows.filter((r) => r.reason.startsWith('clipped')).length);
}

async function updatePeak(path: string, equity: number): Promise<number> {
  const stored = await readFile(path, 'utf8').then(
    (text) => Number((JSON.parse(text) as { peak?: unknown }).peak),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Number.NaN;
      throw error;
    },
  );
  if (Number.isFinite(stored) && stored >= equity) return stored;
  await writeFileAtomic(path, JSON.stringify({ peak: equity }));
  return equity;
}
