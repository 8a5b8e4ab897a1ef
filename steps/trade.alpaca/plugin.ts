/**
 * `trade.alpaca`: one trading day of a trained agent on an Alpaca account. The
 * decision is FinRL's, made from the broker's cash and shares on the last date of the
 * features through the environment's own trade rules; sending is idempotent per
 * decision (write-ahead plan + deterministic client_order_ids), so a rerun, a crash or
 * a lost answer never doubles an order. `flatten: true` is the kill switch.
 */
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import { withEnvConfigSchema } from '../lib/trading-env/index.ts';
import { alpacaBroker, LIVE_ORIGIN, PAPER_ORIGIN } from './broker.ts';
import { tradeDay, type DayParams } from './day.ts';
import { flatten } from './flatten.ts';
import type { TradeAlpacaParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

/** The params after the schema's defaults are applied. */
type Params = DayParams & Required<Pick<TradeAlpacaParams, 'mode' | 'flatten' | 'request_timeout_ms'>>;

/** Refuses an endpoint that is the other mode's Alpaca API: paper never reaches real money, live never a paper account by mistake. */
function endpointIssue(mode: 'paper' | 'live', endpoint: string): string | undefined {
  const host = URL.canParse(endpoint) ? new URL(endpoint).hostname : endpoint;
  if (mode === 'paper' && host === new URL(LIVE_ORIGIN).hostname) return `mode paper refuses Alpaca's live endpoint ${LIVE_ORIGIN}; set \`mode: live\` and \`confirm_live: true\` to trade real money`;
  if (mode === 'live' && host === new URL(PAPER_ORIGIN).hostname) return `mode live refuses Alpaca's paper endpoint ${PAPER_ORIGIN}; use \`mode: paper\` for paper trading`;
  return undefined;
}

function liveIssues(params: TradeAlpacaParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (params.mode === 'live' && params.confirm_live !== true) issues.push({ path: ['confirm_live'], message: '`mode: live` trades real money and needs `confirm_live: true`' });
  const wrong = params.endpoint === undefined ? undefined : endpointIssue(params.mode ?? 'paper', params.endpoint);
  if (wrong) issues.push({ path: ['endpoint'], message: wrong });
  return issues;
}

export default definePlugin<TradeAlpacaParams>({
  name: 'trade.alpaca',
  version: '1',
  description: "Send one day's decision of a trained agent to an Alpaca (paper) account, idempotently; or flatten every position (kill switch).",
  paramsSchema: withEnvConfigSchema(schema),
  inputs: {
    features: { description: 'Feature table in FinRL long format; the decision uses its last date.', optional: true },
    model: { description: 'Trained agent directory (or set `model: models:/<name>@<alias>`).', optional: true },
  },
  outputs: {
    orders: { description: 'date, tic, side, qty, client_order_id, order_id, status, filled_qty, filled_avg_price, reason.' },
    account: { description: 'Cash, equity and positions before and after.' },
  },
  env: ['APCA_API_BASE_URL'],
  // The broker's account changes outside the pipeline.
  alwaysRun: () => true,
  check: liveIssues,
  async run(ctx, rawParams, inputs) {
    const params = rawParams as Params;
    const endpoint = (params.endpoint ?? ctx.env.APCA_API_BASE_URL ?? (params.mode === 'live' ? LIVE_ORIGIN : PAPER_ORIGIN)).replace(/\/+$/, '');
    const issue = liveIssues({ ...params, endpoint })[0];
    if (issue) throw new Error(`trade.alpaca: ${issue.message}`);
    ctx.log.info(`${params.mode} trading at ${endpoint}${params.dry_run ? ' (dry run: nothing is sent)' : ''}`);
    const broker = await alpacaBroker(ctx, {
      endpoint,
      live: params.mode === 'live',
      attempts: params.attempts,
      retry_delay_ms: params.retry_delay_ms,
      request_timeout_ms: params.request_timeout_ms,
    });
    return params.flatten ? flatten(ctx, broker, params) : tradeDay(ctx, broker, params, inputs);
  },
});
