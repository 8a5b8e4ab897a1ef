import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitKey, fitValue, flattenParams, mlflowKey } from '../../engine/tracking/flatten.ts';
import { displayUri, redactorFromEnv, REDACTED } from '../../engine/tracking/redact.ts';

test('params flatten with dots, scalar arrays stay JSON, object arrays flatten by index', () => {
  const flat = flattenParams({
    learning_rate: 0.0003,
    indicators: ['macd', 'rsi_30'],
    ppo: { n_steps: 2048, clip: null, nested: {} },
    metric_conditions: [{ metric: 'Sharpe ratio', op: '>' }],
    skipped: undefined,
    flag: true,
  });
  assert.equal(flat, [
    ['flag', 'true'],
    ['indicators', '["macd","rsi_30"]'],
    ['learning_rate', '0.0003'],
    ['metric_conditions.0.metric', 'Sharpe ratio'],
    ['metric_conditions.0.op', '>'],
    ['ppo.clip', 'null'],
    ['ppo.n_steps', '2048'],
    ['ppo.nested', '{}'],
  ]);
});

test('keys MLflow would refuse are cleaned', () => {
  assert.is(mlflowKey('Sharpe ratio'), 'Sharpe ratio');
  assert.is(mlflowKey('return (%)'), 'return ___');
  assert.is(mlflowKey('/a//b/./c/'), 'a/b/_/c');
  assert.is(mlflowKey('..hidden'), '_..hidden');
  assert.is(mlflowKey(''), '_');
  assert.is(mlflowKey('ratio:1'), 'ratio:1');
});

test('over-long keys and values are cut to MLflow limits, keeping distinct keys distinct', () => {
  const a = fitKey('k'.repeat(300));
  const b = fitKey('k'.repeat(299) + 'x');
  assert.is(a.length, 250);
  assert.is(b.length, 250);
  assert.is.not(a, b);
  assert.ok(/^k{241}-[0-9a-f]{8}$/.test(a));
  const v = fitValue('v'.repeat(7000), 6000);
  assert.is(v.length, 6000);
  assert.ok(v.endsWith(']'));
  assert.ok(/\.\.\.\[truncated 7000 chars, sha256:[0-9a-f]{16}\]$/.test(v));
  assert.is(fitValue('short', 6000), 'short');
});

test('secret-looking keys are redacted and credential values masked anywhere', () => {
  const r = redactorFromEnv({ MLFLOW_TRACKING_TOKEN: 'tok-1234567890', ALPACA_API_SECRET: 'sekrit-value', SHORT_KEY: 'abc', HOME: '/root' });
  assert.is(r.entry('api_key', 'anything'), REDACTED);
  assert.is(r.entry('db.password', 'x'), REDACTED);
  assert.is(r.entry('access_token', 'x'), REDACTED);
  assert.is(r.entry('learning_rate', '0.1'), '0.1');
  assert.is(r.entry('note', 'bearer tok-1234567890 used'), `bearer ${REDACTED} used`);
  assert.is(r.text('secret is sekrit-value; home /root; abc'), `secret is ${REDACTED}; home /root; abc`);
});

test('a tracking URI is shown without user info', () => {
  assert.is(displayUri('http://alice:pa55@mlflow.local:5000/'), 'http://mlflow.local:5000');
  assert.is(displayUri('https://mlflow.example/prefix'), 'https://mlflow.example/prefix');
});

test.run();
