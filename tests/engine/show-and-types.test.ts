import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { execa } from 'execa';
import { project, REPO } from '../helpers/project.ts';

const PRICES = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/prices.ts'));

test('show prints a stored table as CSV or JSON, and JSON outputs', async () => {
  const p = project({ 'p.yaml': `plugins: { prices: ${PRICES} }\nsteps:\n  ohlcv: { uses: prices }\n` });
  try {
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    const csv = await p.run(['show', 'p.yaml', 'ohlcv.prices']);
    assert.is(csv.stdout, 'date,tic,close,volume\n2024-01-02,AAA,10.5,100\n2024-01-03,AAA,,200');
    const json = await p.run(['show', 'p.yaml', 'ohlcv.prices', '--format', 'json']);
    assert.equal(JSON.parse(json.stdout), [
      { date: '2024-01-02', tic: 'AAA', close: 10.5, volume: 100 },
      { date: '2024-01-03', tic: 'AAA', close: null, volume: 200 },
    ]);
    const summary = await p.run(['show', 'p.yaml', 'ohlcv.summary']);
    assert.equal(JSON.parse(summary.stdout), { rows: 2, tickers: ['AAA'] });
    const ambiguous = await p.run(['show', 'p.yaml', 'ohlcv']);
    assert.is(ambiguous.code, 2);
    assert.is(ambiguous.stderr.trim(), 'error: show: step `ohlcv` has several outputs; name one: ohlcv.prices, ohlcv.summary');
  } finally {
    p.cleanup();
  }
});

test('show --history: the output of every kept run, newest first, as text or one JSON array', async () => {
  const ADD = JSON.stringify(join(REPO, 'tests/fixtures/engine/plugins/add.ts'));
  const p = project({ 'p.yaml': `plugins: { add: ${ADD} }\nsteps:\n  a: { uses: add, with: { amount: 1 } }\n` });
  try {
    for (const amount of [1, 2, 3]) assert.is((await p.runJson('p.yaml', ['--set', `a.amount=${amount}`])).code, 0);
    const json = await p.run(['show', 'p.yaml', 'a.value', '--history', '--format', 'json']);
    assert.is(json.code, 0, json.stderr);
    const entries = JSON.parse(json.stdout) as { run: string; finished_at: string; value: unknown }[];
    assert.equal(entries.map((e) => e.value), [3, 2, 1]);
    assert.ok(entries[0]!.finished_at > entries[2]!.finished_at);
    const text = await p.run(['show', 'p.yaml', 'a.value', '--history']);
    assert.equal(text.stdout.split('\n').filter((l) => !l.startsWith('# run ')), ['3', '', '2', '', '1']);
    assert.is(text.stdout.split('\n')[0], `# run ${entries[0]!.run} finished ${entries[0]!.finished_at}`);
  } finally {
    p.cleanup();
  }
});

test('the same table always gives the same stored bytes (early cutoff depends on it)', async () => {
  const p = project({ 'p.yaml': `plugins: { prices: ${PRICES} }\nsteps:\n  ohlcv: { uses: prices }\n` });
  try {
    const a = await p.runJson('p.yaml');
    const b = await p.runJson('p.yaml', ['--force', 'ohlcv']);
    assert.is(b.statuses.ohlcv, 'executed');
    assert.equal(b.result.steps[0]!.outputs, a.result.steps[0]!.outputs);
  } finally {
    p.cleanup();
  }
});

test('summary: prints chosen outputs at the end of a run, and rejects unknown entries', async () => {
  const p = project({ 'p.yaml': `plugins: { prices: ${PRICES} }\nsteps:\n  ohlcv: { uses: prices }\nsummary: [ohlcv.summary, ohlcv.prices]\n` });
  try {
    const r = await p.run(['run', 'p.yaml']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '\nohlcv.summary:\n  rows: 2\n  tickers: ["AAA"]\n\nohlcv.prices:\n  date        tic    close  volume\n  2024-01-02  AAA  10.5000     100\n  2024-01-03  AAA      NaN     200');
    p.write('q.yaml', `plugins: { prices: ${PRICES} }\nsteps:\n  ohlcv: { uses: prices }\nsummary: [ohlcv.price]\n`);
    const bad = await p.run(['validate', 'q.yaml']);
    assert.is(bad.code, 2);
    assert.ok(bad.stderr.startsWith('error TP0306: q.yaml:4:11: summary entry `ohlcv.price` is neither a step output nor a declared out (did you mean `ohlcv.prices`?)'), bad.stderr);
  } finally {
    p.cleanup();
  }
});

test('generated TypeScript types are up to date with the JSON Schemas', async () => {
  const r = await execa('node', ['--import', 'tsx', join(REPO, 'engine/schema/generate-types.ts'), '--check'], { reject: false, cwd: REPO });
  assert.is(r.exitCode, 0, r.stderr);
});

test.run();
