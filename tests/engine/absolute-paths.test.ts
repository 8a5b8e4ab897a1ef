/**
 * Absolute input paths: data on another disk works in every plugin that reads a file, is
 * hashed like any dep (editing it reruns exactly the steps that read it), and is keyed by
 * its absolute path. Outs stay inside the project: an absolute out is refused before anything runs.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { project, REPO } from '../helpers/project.ts';

const FIXTURES = join(REPO, 'tests', 'fixtures', 'ingest');

test('every file-reading plugin accepts an absolute path, hashes it, and reruns when it changes', async () => {
  const ext = mkdtempSync(join(tmpdir(), 'tradepipe-external-'));
  copyFileSync(join(FIXTURES, 'ohlcv.csv'), join(ext, 'ohlcv.csv'));
  copyFileSync(join(FIXTURES, 'ohlcv.pyarrow.parquet'), join(ext, 'ohlcv.parquet'));
  writeFileSync(join(ext, 'news.csv'), 'date,tic,headline\n2020-01-02,AAPL,Apple flat\n');
  writeFileSync(join(ext, 'news.jsonl'), '{"date": "2020-01-02", "tic": "AAPL", "headline": "Apple flat"}\n');
  const p = project({
    'p.yaml': `vars: { ext: ${ext} }
steps:
  table_csv: { uses: ingest.table, with: { path: "\${vars.ext}/ohlcv.csv" } }
  table_parquet: { uses: ingest.table, with: { path: "\${vars.ext}/ohlcv.parquet" } }
  ohlcv_csv: { uses: ingest.ohlcv, with: { source: csv, path: "\${vars.ext}/ohlcv.csv" } }
  ohlcv_parquet: { uses: ingest.ohlcv, with: { source: parquet, path: "\${vars.ext}/ohlcv.parquet" } }
  news_csv: { uses: ingest.news, with: { source: csv, path: "\${vars.ext}/news.csv" } }
  news_jsonl: { uses: ingest.news, with: { source: jsonl, path: "\${vars.ext}/news.jsonl" } }
  count:
    uses: exec
    with: { cmd: "mkdir -p out && wc -l < \${vars.ext}/ohlcv.csv > out/n.txt", deps: ["\${vars.ext}/ohlcv.csv"], outs: [out/n.txt] }
`,
  });
  try {
    const first = await p.runJson('p.yaml');
    assert.is(first.code, 0, first.stderr);
    assert.ok(
      Object.values(first.statuses).every((s) => s === 'executed'),
      JSON.stringify(first.statuses),
    );
    const rows = JSON.parse((await p.run(['show', 'p.yaml', 'table_csv.table', '--format', 'json'])).stdout) as unknown[];
    assert.is(rows.length, 900);
    assert.equal(
      (await p.run(['show', 'p.yaml', 'ohlcv_parquet.prices'])).stdout,
      (await p.run(['show', 'p.yaml', 'ohlcv_csv.prices'])).stdout,
      'the parquet and csv copies give the same table',
    );
    const explained = JSON.parse((await p.run(['status', 'p.yaml', '--explain', 'count', '--json'])).stdout) as { fields: { field: string }[] };
    assert.ok(
      explained.fields.some((f) => f.field === `deps.${ext}/ohlcv.csv`),
      'the dep is keyed by its absolute path',
    );

    writeFileSync(join(ext, 'news.csv'), 'date,tic,headline\n2020-01-02,AAPL,Apple up\n');
    // A blank line at the end: new bytes, same rows.
    writeFileSync(join(ext, 'ohlcv.csv'), `${readFileSync(join(FIXTURES, 'ohlcv.csv'), 'utf8')}\n`);
    const status = JSON.parse((await p.run(['status', 'p.yaml', '--json'])).stdout) as { steps: { id: string; status: string; reason: string }[] };
    const stale = Object.fromEntries(status.steps.filter((s) => s.status === 'stale').map((s) => [s.id, s.reason]));
    assert.equal(stale, {
      table_csv: `file \`${ext}/ohlcv.csv\` changed`,
      ohlcv_csv: `file \`${ext}/ohlcv.csv\` changed`,
      news_csv: `file \`${ext}/news.csv\` changed`,
      count: `file \`${ext}/ohlcv.csv\` changed`,
    });
    const second = await p.runJson('p.yaml');
    assert.equal(second.statuses, {
      table_csv: 'executed',
      table_parquet: 'cached',
      ohlcv_csv: 'executed',
      ohlcv_parquet: 'cached',
      news_csv: 'executed',
      news_jsonl: 'cached',
      count: 'executed',
    });
  } finally {
    p.cleanup();
    rmSync(ext, { recursive: true, force: true });
  }
});

test('an absolute or escaping out is refused at validation (codes TP0109, TP0107)', async () => {
  const p = project({
    'p.yaml': 'steps:\n  w:\n    uses: exec\n    with: { cmd: "true", outs: [/tmp/elsewhere.txt] }\n  r: { uses: report, with: { out: ../r.html } }\n',
  });
  try {
    const r = await p.run(['validate', 'p.yaml']);
    assert.is(r.code, 2);
    // Codes, not sentences: the wording belongs to the confinement rule (tests/reliability/confinement.test.ts).
    assert.match(r.stderr, /^error TP0109: p\.yaml:4:33: out `\/tmp\/elsewhere\.txt` must stay inside the project/m);
    assert.match(r.stderr, /^error TP0107: p\.yaml:5:35: /m);
  } finally {
    p.cleanup();
  }
});

test.run();
