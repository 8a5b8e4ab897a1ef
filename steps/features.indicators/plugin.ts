/**
 * `features.indicators`: FinRL's FeatureEngineer in TypeScript — stockstats indicators per
 * ticker, optional VIX close and turbulence index, then FinRL's ffill/bfill. Names are checked
 * at validation time; the numeric code loads only when the step runs.
 */
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import { FINRL_INDICATORS, FINRL_TURBULENCE_LOOKBACK, parseIndicator, unknownIndicatorMessage } from '../lib/indicators/catalog.ts';
import type { IndicatorsParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

function check(params: IndicatorsParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  (params.indicators ?? []).forEach((name, i) => {
    if (parseIndicator(name) === undefined) issues.push({ path: ['indicators', i], message: unknownIndicatorMessage(name) });
  });
  return issues;
}

export default definePlugin<IndicatorsParams>({
  name: 'features.indicators',
  cpu: true,
  version: '1',
  description: "FinRL FeatureEngineer: stockstats indicators per ticker, optional VIX and turbulence, then ffill/bfill.",
  paramsSchema: schema,
  inputs: {
    prices: { description: 'FinRL long format: date (YYYY-MM-DD), tic, open, high, low, close, volume' },
    vix: { description: 'an OHLCV table holding `vix_tic` (default ^VIX); needed by use_vix', optional: true },
  },
  outputs: {
    features: { description: 'the input columns, one column per indicator (its stockstats name), then vix and turbulence when enabled; sorted by date then tic' },
  },
  check,
  async run(ctx, params, inputs) {
    const { engineerFeatures } = await import('../lib/indicators/feature-engineer.ts');
    const names = params.indicators ?? [...FINRL_INDICATORS];
    const indicators = names.map((name) => {
      const spec = parseIndicator(name);
      if (spec === undefined) throw new Error(unknownIndicatorMessage(name));
      return spec;
    });
    if (params.use_vix && inputs.vix === undefined) throw new Error('use_vix is true but the `vix` input is not connected');
    const prices = await inputs.prices!.table();
    const vix = params.use_vix ? await inputs.vix!.table() : undefined;
    const { table, droppedTickers } = engineerFeatures(prices, {
      indicators,
      clean: params.clean ?? true,
      vix,
      vixTic: params.vix_tic ?? '^VIX',
      turbulence: params.use_turbulence ?? false,
      turbulenceLookback: params.turbulence_lookback ?? FINRL_TURBULENCE_LOOKBACK,
      fillMissing: params.fill_missing ?? true,
    });
    if (droppedTickers.length > 0) ctx.log.warn(`clean dropped ${droppedTickers.length} ticker(s) missing a close on some date: ${droppedTickers.join(', ')}`);
    ctx.log.info(`${table.rows} rows, ${names.length} indicators${vix ? ', vix' : ''}${params.use_turbulence ? ', turbulence' : ''}`);
    return { features: { kind: 'table', table } };
  },
});
