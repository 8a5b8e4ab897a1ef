import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { project, REPO, withStatus } from '../helpers/project.ts';

// The shipped default pipeline, shortened: three tickers, one PPO update.
const SHORT = ['--set', 'ohlcv.tickers=[AAA, BBB, CCC]', '--set', 'train.total_timesteps=2048'];
const FILE = 'pipelines.d/full_strategy.yaml';

test('full_strategy end to end: cold run, fully cached rerun, and a backtest-param change reruns exactly its dependents', async () => {
  const p = project();
  try {
    for (const dir of ['config', 'hyperparameters', 'pipelines.d']) cpSync(join(REPO, dir), join(p.dir, dir), { recursive: true });

    const cold = await p.run(['run', FILE, ...SHORT]);
    assert.is(cold.code, 0, cold.stderr);
    assert.match(cold.stdout, /^report: .*reports\/full_strategy\.html$/m);
    assert.match(cold.stdout, /compare\.table:\n +instance +policy +Annual return +Annual volatility +Cumulative returns +Max drawdown +Sharpe ratio\n +policy=agent +agent /);
    const html = readFileSync(join(p.dir, 'reports/full_strategy.html'), 'utf8');
    assert.ok(html.includes('<svg'), 'the report has charts');

    const cached = await p.runJson(FILE, SHORT);
    assert.is(cached.code, 0, cached.stderr);
    assert.equal(withStatus(cached.statuses, 'executed'), [], 'nothing runs again');
    assert.is(withStatus(cached.statuses, "cached").length, 16);

    const changed = await p.runJson(FILE, [...SHORT, '--set', "backtest.start='2021-02-01'"]);
    assert.is(changed.code, 0, changed.stderr);
    assert.equal(withStatus(changed.statuses, 'executed'), ['backtest', 'compare', 'promote', 'register', 'report']);
    assert.equal(withStatus(changed.statuses, 'cached'), [
      'baseline@policy=buy_and_hold',
      'baseline@policy=index',
      'baseline@policy=min_variance',
      'features',
      'index',
      'news',
      'ohlcv',
      'sentiment',
      'split',
      'train',
      'vix',
    ]);

    // Retraining reruns the agent's side only: the baselines don't depend on the model.
    const retrained = await p.runJson(FILE, [...SHORT, '--set', 'train.seed=7']);
    assert.is(retrained.code, 0, retrained.stderr);
    assert.equal(withStatus(retrained.statuses, 'executed'), ['backtest', 'compare', 'promote', 'register', 'report', 'train']);
    assert.ok(existsSync(join(p.dir, '.tradepipe/tracking')), 'the runs were tracked');
  } finally {
    p.cleanup();
  }
});

test.run();
