/**
 * `tradepipe ui` as a server, without a browser: who may connect, what the API
 * refuses, what it answers on a small pipeline, and the live event stream.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { project, type Project } from '../helpers/project.ts';
import { followEvents, type EngineEvent } from '../../engine/events.ts';
import { readEvents, startUi } from './support.ts';
import type { GraphView } from '../../engine/ui/graph.ts';
import type { OutputPreview } from '../../engine/ui/outputs.ts';
import type { RunRow, Timeline } from '../../engine/ui/runs.ts';
import type { StepDetail } from '../../engine/ui/step.ts';

const FILE = 'pipelines.d/p.yaml';
const PIPELINE = `pipeline: small
steps:
  a: { uses: exec, with: { cmd: "mkdir -p out && echo 1 > out/a && echo made a", outs: [out/a] } }
  b: { uses: exec, with: { cmd: "cat out/a > out/b", deps: [out/a], outs: [out/b] } }
`;

const withProject = async (body: (p: Project) => Promise<void>) => {
  const p = project({ [FILE]: PIPELINE });
  try {
    await body(p);
  } finally {
    p.cleanup();
  }
};

test('binding 0.0.0.0 without a token is refused; with --token every request needs it', async () => {
  await withProject(async (p) => {
    const refused = await p.run(['ui', '--host', '0.0.0.0', '--port', '0']);
    assert.is(refused.code, 2);
    assert.match(refused.stderr, /error: ui: refusing to bind 0\.0\.0\.0 without a token: .*pass --token <secret>, or --token alone to generate one/);

    const ui = await startUi(p.dir, ['--host', '0.0.0.0', '--token']);
    try {
      const token = new URL(ui.url).searchParams.get('token')!;
      assert.ok(token.length >= 24, 'a generated token is printed in the URL');
      const base = `http://127.0.0.1:${new URL(ui.url).port}`;
      assert.is((await fetch(`${base}/api/pipelines`)).status, 401);
      assert.is((await fetch(`${base}/`)).status, 401);
      assert.is((await fetch(`${base}/api/pipelines`, { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status, 401);
      assert.is((await fetch(`${base}/api/pipelines`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
      const login = await fetch(`${base}/?token=${token}`, { redirect: 'manual' });
      assert.is(login.status, 303);
      const cookie = login.headers.get('set-cookie')!;
      assert.match(cookie, /^tradepipe_ui=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
      assert.is((await fetch(`${base}/api/pipelines`, { headers: { Cookie: cookie.split(';')[0]! } })).status, 200);
    } finally {
      await ui.stop();
    }
  });
});

test('read-only by default: strict CSP, no foreign Host, POST /api/run refused', async () => {
  await withProject(async (p) => {
    const ui = await startUi(p.dir, []);
    try {
      assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const port = new URL(ui.origin).port;
      const busy = await p.run(['ui', '--port', port]);
      assert.equal([busy.code, busy.stderr.trim()], [1, `error: ui: cannot listen on 127.0.0.1:${port}: the port is in use (pick another with --port, or --port 0 for a free one)`]);
      const page = await fetch(ui.url);
      assert.is(page.status, 200);
      assert.is(page.headers.get('content-security-policy'), "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      assert.is(page.headers.get('x-content-type-options'), 'nosniff');
      assert.not.match(await page.text(), /<script>|style=/, 'no inline script or style');
      assert.is((await fetch(`${ui.origin}/app.js`)).status, 200);

      // DNS rebinding: a page on another name that resolves to 127.0.0.1.
      const rebound = await new Promise<number>((resolve, reject) => {
        const url = new URL(ui.origin);
        request({ host: url.hostname, port: url.port, path: '/api/pipelines', headers: { Host: `attacker.example:${url.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      assert.is(rebound, 421);

      const post = await fetch(`${ui.origin}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ui.origin }, body: JSON.stringify({ pipeline: 'small' }) });
      assert.is(post.status, 403);
      assert.equal(await post.json(), { error: 'running is disabled: start `tradepipe ui` with --allow-run to allow it' });
      assert.equal(await (await fetch(`${ui.origin}/api/config`)).json(), { allowRun: false });
      assert.is((await fetch(`${ui.origin}/api/nothing`)).status, 404);
    } finally {
      await ui.stop();
    }
  });
});

test('the API: statuses and reasons as `status` gives them, the step panel as `status --explain`, runs and timelines', async () => {
  await withProject(async (p) => {
    const ui = await startUi(p.dir, []);
    const get = async <T>(path: string) => {
      const res = await fetch(`${ui.origin}${path}`);
      return { status: res.status, body: (await res.json()) as T };
    };
    try {
      assert.equal((await get('/api/pipelines')).body, [{ name: 'small', file: FILE, steps: 2 }]);
      let graph = (await get<GraphView>('/api/pipelines/small/graph')).body;
      assert.equal(graph.nodes.map((n) => [n.id, n.status, n.reason]), [['a', 'never-run', 'never run'], ['b', 'never-run', 'upstream `a` will run']]);
      assert.equal(graph.edges, [{ from: 'a', to: 'b', labels: ['file'] }]);

      const run = await p.runJson(FILE);
      assert.is(run.code, 0, run.stderr);
      graph = (await get<GraphView>('/api/pipelines/small/graph')).body;
      assert.equal(graph.nodes.map((n) => n.status), ['up-to-date', 'up-to-date']);

      writeFileSync(join(p.dir, FILE), PIPELINE.replace('echo 1 > out/a', 'echo 2 > out/a'));
      const status = JSON.parse((await p.run(['status', FILE, '--json'])).stdout) as { steps: { id: string; status: string; reason: string }[] };
      graph = (await get<GraphView>('/api/pipelines/small/graph')).body;
      assert.equal(graph.nodes.map((n) => [n.id, n.status, n.reason]), status.steps.map((s) => [s.id, s.status, s.reason]));
      assert.equal(graph.nodes[0]!.status, 'stale');
      assert.match(graph.nodes[0]!.reason, /^param `cmd` "mkdir -p out && echo 1 > out\/a && echo made a"→"mkdir -p out && echo 2 > out\/a && echo made a"$/);

      const explain = JSON.parse((await p.run(['status', FILE, '--explain', 'a', '--json'])).stdout);
      const step = (await get<StepDetail>('/api/steps/a')).body;
      assert.equal(step.explanation, explain);
      assert.is(step.plugin, 'exec');
      assert.equal(step.lastRuns.map((r) => r.outcome), ['executed']);
      assert.ok(step.logs!.lines.some((l) => l.message.includes('made a')), 'the step log comes from the event stream');
      assert.equal(step.outputs.map((o) => [o.name, o.kind]), [['out/a', 'file']]);
      const out = (await get<OutputPreview>(`/api/steps/a/outputs/${encodeURIComponent('out/a')}`)).body;
      assert.equal(out, { kind: 'file', name: 'out/a', hash: step.outputs[0]!.hash, size: 2, text: '1\n', truncated: false });
      assert.is((await get('/api/steps/nope')).status, 404);

      const runs = (await get<RunRow[]>('/api/runs?pipeline=small')).body;
      assert.is(runs.length, 1);
      assert.equal(runs[0]!.counts, { executed: 2 });
      const timeline = (await get<Timeline>(`/api/runs/${runs[0]!.runId}`)).body;
      assert.equal(timeline.steps.map((s) => [s.id, s.status]), [['a', 'executed'], ['b', 'executed']]);
      const [a, b] = timeline.steps as { start: number; end: number }[];
      assert.ok(a!.start >= 0 && a!.end >= a!.start && b!.start >= a!.end, `b starts after a ends: ${JSON.stringify(timeline.steps)}`);
    } finally {
      await ui.stop();
    }
  });
});

test('--allow-run: the page may start a run (same origin only); its events stream live', async () => {
  await withProject(async (p) => {
    const ui = await startUi(p.dir, ['--allow-run']);
    try {
      assert.equal(await (await fetch(`${ui.origin}/api/config`)).json(), { allowRun: true });
      const body = JSON.stringify({ pipeline: 'small', steps: ['a'] });
      const foreign = await fetch(`${ui.origin}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://attacker.example' }, body });
      assert.is(foreign.status, 403);
      const badStep = await fetch(`${ui.origin}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ui.origin }, body: JSON.stringify({ pipeline: 'small', steps: ['zz'] }) });
      assert.equal([badStep.status, await badStep.json()], [400, { error: 'unknown step `zz` in small' }]);

      const events = await readEvents<EngineEvent>(
        `${ui.origin}/api/events`,
        async () => {
          const started = await fetch(`${ui.origin}/api/run`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: ui.origin }, body });
          assert.is(started.status, 202);
        },
        (e) => e.type === 'run-finished',
        60_000,
      );
      assert.equal(
        events.filter((e) => e.type !== 'step-log' && e.type !== 'step-progress').map((e) => [e.type, 'step' in e ? e.step : null]),
        [['run-started', null], ['step-started', 'a'], ['step-finished', 'a'], ['run-finished', null]],
      );
      assert.equal(events.at(-1), { ...events.at(-1)!, type: 'run-finished', status: 'succeeded', pipeline: FILE });
    } finally {
      await ui.stop();
    }
  });
});

test('a step that failed in the last run shows as failed, its error in the log', async () => {
  const p = project({ [FILE]: 'pipeline: broken\nsteps:\n  ok: { uses: exec, with: { cmd: "true", outs: [] } }\n  bad: { uses: exec, needs: [ok], with: { cmd: "echo about to fail && exit 3", outs: [] } }\n' });
  const ui = await startUi(p.dir, []);
  try {
    const run = await p.runJson(FILE);
    assert.is(run.code, 1);
    const graph = (await (await fetch(`${ui.origin}/api/pipelines/broken/graph`)).json()) as GraphView;
    assert.equal(graph.nodes.map((n) => [n.id, n.status]), [['ok', 'up-to-date'], ['bad', 'failed']]);
    assert.match(graph.nodes[1]!.reason, /^failed in run \S+; never run$/);
    const step = (await (await fetch(`${ui.origin}/api/steps/bad`)).json()) as StepDetail;
    assert.equal(step.lastRuns.map((r) => r.outcome), ['failed']);
    assert.is(step.logs!.error, 'command exited with code 3: echo about to fail && exit 3');
    assert.ok(step.logs!.lines.some((l) => l.message.includes('about to fail')));
    assert.equal(step.outputs, []);
  } finally {
    await ui.stop();
    p.cleanup();
  }
});

test('followEvents: reads only what is appended, across files, and waits for a torn line to complete', async () => {
  const store = mkdtempSync(join(tmpdir(), 'tradepipe-events-'));
  try {
    mkdirSync(join(store, 'events'));
    const old = join(store, 'events', 'r0.jsonl');
    writeFileSync(old, JSON.stringify({ t: 1, runId: 'r0', pipeline: 'p.yaml', type: 'run-started', pid: 1, steps: [] }) + '\n');
    const seen: EngineEvent[] = [];
    const follower = followEvents(store, (e) => seen.push(e));
    try {
      const line = (runId: string, step: string) => JSON.stringify({ t: 2, runId, pipeline: 'p.yaml', type: 'step-started', step, reason: 'never run' });
      appendFileSync(old, line('r0', 'x') + '\n' + line('r0', 'y').slice(0, 20));
      writeFileSync(join(store, 'events', 'r1.jsonl'), line('r1', 'z') + '\n');
      await waitFor(() => seen.length === 2);
      appendFileSync(old, line('r0', 'y').slice(20) + '\n');
      await waitFor(() => seen.length === 3);
      assert.equal(seen.map((e) => [e.runId, (e as { step: string }).step]).sort(), [['r0', 'x'], ['r0', 'y'], ['r1', 'z']]);
      assert.is(readFileSync(old, 'utf8').split('\n').length, 4);
    } finally {
      follower.close();
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test.run();
