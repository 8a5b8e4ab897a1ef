/**
 * `backtest`: a policy (trained agent, recorded actions, or a FinRL baseline) over a test
 * period of the feature table, through the same StockTradingEnv the agent trained in.
 * Outputs the day-by-day trajectory and pyfolio's perf_stats of its account value.
 */
import { definePlugin, type ParamIssue, resolveInputPath, type StepContext } from '../../engine/sdk.ts';
import { dailyReturns, perfStats, statsToJson, PERF_STAT_NAMES } from '../lib/perf-stats/perf-stats.ts';
import { StockTradingEnv, marketFromTable, parseEnvConfig, sliceMarket, withEnvConfigSchema, type Market } from '../lib/trading-env/index.ts';
import { readActionsCsv } from './actions-csv.ts';
import { benchmarkCloses, indexTrajectory } from './index-benchmark.ts';
import type { BacktestParams } from './params.ts';
import { agentPolicy, buyAndHoldPolicy, replayPolicy, type Policy } from './policy.ts';
import { simulate, trajectoryTable, type Trajectory } from './trajectory.ts';
import schema from './params.schema.json' with { type: 'json' };

type PolicySpec =
  | { type: 'agent' }
  | { type: 'buy_and_hold' }
  | { type: 'index'; ticker: string }
  | { type: 'min_variance'; lookback: number; max_weight: number; rebalance_every: number }
  | { type: 'actions'; path: string };

const POLICY_OPTIONS: Record<PolicySpec['type'], readonly string[]> = {
  agent: [],
  buy_and_hold: [],
  index: ['ticker'],
  min_variance: ['lookback', 'max_weight', 'rebalance_every'],
  actions: ['path'],
};

/** The `policy` param with its string shorthand expanded and the defaults of its options filled in. */
export function policySpec(policy: BacktestParams['policy']): PolicySpec {
  const p = typeof policy === 'object' ? policy : { type: policy ?? 'agent' };
  switch (p.type) {
    case 'index':
      return { type: 'index', ticker: p.ticker ?? '^DJI' };
    case 'min_variance':
      return { type: 'min_variance', lookback: p.lookback ?? 252, max_weight: p.max_weight ?? 1, rebalance_every: p.rebalance_every ?? 1 };
    case 'actions':
      return { type: 'actions', path: p.path ?? '' };
    default:
      return { type: p.type };
  }
}

function policyIssues(policy: BacktestParams['policy']): ParamIssue[] {
  if (typeof policy !== 'object') return [];
  const issues: ParamIssue[] = [];
  for (const option of ['ticker', 'lookback', 'max_weight', 'rebalance_every', 'path'] as const) {
    if (policy[option] !== undefined && !POLICY_OPTIONS[policy.type].includes(option)) {
      const owner = Object.entries(POLICY_OPTIONS).find(([, options]) => options.includes(option))![0];
      issues.push({ path: ['policy', option], message: `\`${option}\` is an option of policy type \`${owner}\`, not \`${policy.type}\`` });
    }
  }
  if (policy.type === 'actions' && policy.path === undefined) {
    issues.push({ path: ['policy'], message: 'policy type `actions` needs `path`: the CSV of recorded actions' });
  }
  return issues;
}

/** Indices [from, to) of the dates in [start, end). */
function testRange(dates: readonly string[], start: string | undefined, end: string | undefined): [number, number] {
  const from = start === undefined ? 0 : dates.findIndex((d) => d >= start);
  const after = end === undefined ? -1 : dates.findIndex((d) => d >= end);
  const to = after === -1 ? dates.length : after;
  const count = from === -1 ? 0 : Math.max(0, to - from);
  if (count < 2) {
    throw new Error(
      `the test period [${start ?? dates[0]}, ${end ?? 'end'}) holds ${count} date${count === 1 ? '' : 's'} of the data (${dates[0]} to ${dates[dates.length - 1]}); a backtest needs at least 2`,
    );
  }
  return [from, to];
}

export default definePlugin<BacktestParams>({
  name: 'backtest',
  // An agent's backtest runs its network every day: a worker thread. Baselines take milliseconds.
  cpu: (params) => policySpec(params.policy).type === 'agent',
  version: '1',
  description: 'Run a policy (agent, recorded actions, buy-and-hold, index, min-variance) through the FinRL trading env; trajectory and pyfolio stats.',
  paramsSchema: withEnvConfigSchema(schema),
  inputs: {
    data: { description: 'Feature table in FinRL long format (date, tic, close, indicators[, turbulence]).' },
    model: { description: 'Trained agent directory (policy `agent`).', optional: true },
    index: { description: 'OHLCV table holding the benchmark ticker (policy `index`); else it is looked up in `data`.', optional: true },
  },
  outputs: {
    trajectory: { description: 'Per date: date, cash, account_value, reward, cost, shares_<tic>, trade_<tic>.' },
    stats: { description: "pyfolio perf_stats of account_value (FinRL's backtest_stats)." },
  },
  files(params) {
    const policy = policySpec(params.policy);
    // A model given as a path (not a registry URI, which the key covers by version) is a file dep like the actions CSV.
    const model = params.model !== undefined && !params.model.startsWith('models:/') ? [params.model] : [];
    const deps = [...(policy.type === 'actions' ? [policy.path] : []), ...model];
    return deps.length > 0 ? { deps } : {};
  },
  check(params) {
    const issues = policyIssues(params.policy);
    if (params.start !== undefined && params.end !== undefined && params.start >= params.end) {
      issues.push({ path: ['end'], message: `end ${params.end} must be after start ${params.start} (end is exclusive)` });
    }
    return issues;
  },
  async run(ctx, params, inputs) {
    const config = parseEnvConfig(
      params.tech_indicator_list ? { ...params.env, tech_indicator_list: params.tech_indicator_list } : params.env,
      'backtest param `env`',
    );
    const policy = policySpec(params.policy);
    const data = await inputs.data!.table();
    const history = marketFromTable(data, {
      indicators: config.tech_indicator_list,
      riskColumn: config.turbulence_threshold === null ? null : config.risk_indicator_col,
    });
    const [from, to] = testRange(history.dates, params.start, params.end);
    const market = sliceMarket(history, from, to);
    ctx.log.info(`${policy.type}: ${market.dates.length} dates (${market.dates[0]} to ${market.dates[market.dates.length - 1]}), ${market.tickers.length} tickers`);

    let trajectory: Trajectory;
    if (policy.type === 'index') {
      const source = inputs.index ? await inputs.index.table() : data;
      const closes = benchmarkCloses(source, inputs.index ? 'index' : 'data', policy.ticker, market.dates);
      trajectory = indexTrajectory(market.dates, market.tickers, closes, config);
    } else {
      const env = new StockTradingEnv(market, config);
      const model = params.model === undefined ? inputs.model?.path : resolveInputPath(ctx, params.model);
      const driver = await makePolicy(policy, { history, from, market, ctx, model });
      try {
        trajectory = simulate(env, driver, (f) => ctx.progress(f));
      } finally {
        driver.dispose?.();
      }
    }

    const stats = perfStats(dailyReturns(trajectory.accountValue));
    for (const name of PERF_STAT_NAMES) if (Number.isFinite(stats[name])) ctx.track.metric(name, stats[name]);
    ctx.track.metric('final account value', trajectory.accountValue[trajectory.accountValue.length - 1]!);
    return {
      trajectory: { kind: 'table', table: trajectoryTable(trajectory) },
      stats: { kind: 'json', value: statsToJson(stats) },
    };
  },
});

async function makePolicy(
  policy: Exclude<PolicySpec, { type: 'index' }>,
  at: { history: Market; from: number; market: Market; ctx: StepContext; model: string | undefined },
): Promise<Policy> {
  switch (policy.type) {
    case 'agent':
      if (!at.model) throw new Error('policy `agent` needs a model: connect the `model` input (a trained agent directory) or set `model: models:/<name>@<alias>`; or choose another policy');
      return agentPolicy(at.model);
    case 'buy_and_hold':
      return buyAndHoldPolicy(at.market.tickers.length);
    case 'actions':
      return replayPolicy(await readActionsCsv(resolveInputPath(at.ctx, policy.path), policy.path, at.market.dates, at.market.tickers));
    case 'min_variance': {
      const { minVariancePolicy } = await import('./min-variance.ts');
      return minVariancePolicy(at.history, at.from, {
        lookback: policy.lookback,
        maxWeight: policy.max_weight,
        rebalanceEvery: policy.rebalance_every,
      });
    }
  }
}
