/**
 * CPU-bound plugins (`cpu: true`) run in worker threads with the same StepContext:
 * logs (secrets masked), progress, tracking, env, scratch dir, outputs of every kind,
 * and abort through ctx.signal (or termination when the plugin never yields).
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSession } from '../../engine/cache-session.ts';
import { execute, type RunObserver, type RunTrackingHooks } from '../../engine/executor.ts';
import { loadPipeline } from '../../engine/pipeline.ts';
import { project } from '../helpers/project.ts';

const PLUGIN = `import { isMainThread, threadId } from 'node:worker_threads';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export default {
  name: 'heavy', version: '1', description: 'runs in a worker', cpu: true,
  paramsSchema: { type: 'object', properties: { mode: { type: 'string', default: 'ok' } } },
  inputs: { x: { optional: true } }, outputs: { info: {}, table: {}, file: {} },
  async run(ctx, params, inputs) {
    if (params.mode === 'wait') for (;;) { ctx.signal.throwIfAborted(); await new Promise((r) => setTimeout(r, 5)); }
    if (params.mode === 'spin') for (;;) {}
    if (params.mode === 'throw') throw new Error('bad things in a worker');
    const secret = ctx.secret('TP_WORKER_SECRET');
    ctx.log.info('thread ' + (isMainThread ? 'main' : 'worker') + ', key ' + secret);
    ctx.progress(0.5, 'half');
    ctx.track.metric('m', 3, 1);
    const path = join(ctx.scratchDir, 'out.txt');
    await writeFile(path, 'written in a worker');
    const x = inputs.x ? await inputs.x.json() : null;
    return {
      info: { kind: 'json', value: { isMainThread, threadId, env: ctx.env.TP_WORKER_ENV, step: ctx.stepId, x } },
      table: { kind: 'table', table: { names: ['a', 'b'], columns: { a: Float64Array.of(1.5, 2), b: ['x', null] }, rows: 2 } },
      file: { kind: 'file', path },
    };
  },
};
`;

function files(steps: string) {
  return { 'package.json': '{ "type": "module" }\n', 'plugins/heavy.mjs': PLUGIN, 'p.yaml': `plugins: { heavy: ./plugins/heavy.mjs }\nsteps:\n${steps}` };
}

function recorder() {
  const logs: string[] = [];
  const progress: string[] = [];
  const metrics: unknown[] = [];
  const observer: RunObserver = {
    stepStarted() {},
    stepProgress: (id, f, m) => void progress.push(`${id} ${f} ${m}`),
    stepLog: (id, level, m) => void logs.push(`${id} ${level} ${m}`),
    stepFinished() {},
  };
  const tracking: RunTrackingHooks = {
    step: (info) => ({
      params() {},
      metric: (name, value, step) => void metrics.push([info.stepId, name, value, step]),
      tag() {},
      artifact() {},
      finish: async () => {},
    }),
    cached() {},
  };
  return { logs, progress, metrics, observer, tracking };
}

test('a cpu plugin runs in a worker with the full StepContext; two run on two threads at once', async () => {
  const p = project(files('  a: { uses: heavy, env: [TP_WORKER_ENV] }\n  b: { uses: heavy, inputs: { x: a.info } }\n  c: { uses: heavy }\n'));
  try {
    const pipeline = await loadPipeline(join(p.dir, 'p.yaml'));
    const r = recorder();
    const env = { ...process.env, TP_WORKER_SECRET: 'hunter2-secret', TP_WORKER_ENV: 'seen' };
    const session = openSession(pipeline.root);
    const result = await execute(pipeline, session, { jobs: 2, keepGoing: false, signal: new AbortController().signal, env, tracking: r.tracking }, r.observer);
    assert.is(result.status, 'succeeded');
    assert.equal(r.logs.sort(), ['a info thread worker, key ***', 'b info thread worker, key ***', 'c info thread worker, key ***']);
    assert.equal(r.progress.sort(), ['a 0.5 half', 'b 0.5 half', 'c 0.5 half']);
    assert.equal(r.metrics.sort(), [
      ['a', 'm', 3, 1],
      ['b', 'm', 3, 1],
      ['c', 'm', 3, 1],
    ]);
    const out = (id: string) => result.steps.find((s) => s.id === id)!.outputs;
    const info = async (id: string) => JSON.parse(new TextDecoder().decode(await session.store.readBytes(out(id).info!))) as Record<string, unknown>;
    const a = await info('a');
    assert.equal({ ...a, threadId: 0 }, { isMainThread: false, threadId: 0, env: 'seen', step: 'a', x: null });
    assert.not.ok('env' in (await info('c')), 'an undeclared variable is not visible');
    assert.equal((await info('b')).x, a, 'an input artifact read in the worker');
    assert.is(new TextDecoder().decode(await session.store.readBytes(out('c').file!)), 'written in a worker');
    assert.ok(new Set([a.threadId, (await info('c')).threadId]).size === 2, 'a and c (independent) ran on two worker threads');
    const { fromParquet } = await import('../../engine/table/parquet.ts');
    const t = fromParquet(await session.store.readBytes(out('a').table!));
    assert.equal(
      [t.names, [...(t.columns.a as Float64Array)], t.columns.b],
      [
        ['a', 'b'],
        [1.5, 2],
        ['x', null],
      ],
    );
  } finally {
    p.cleanup();
  }
});

test('errors and aborts cross the thread: a failing step fails with its message; abort stops a waiting or spinning plugin', async () => {
  const p = project(
    files('  bad: { uses: heavy, with: { mode: throw } }\n  wait: { uses: heavy, with: { mode: wait } }\n  spin: { uses: heavy, with: { mode: spin } }\n'),
  );
  try {
    const pipeline = await loadPipeline(join(p.dir, 'p.yaml'));
    const r = recorder();
    const failing = await execute(
      pipeline,
      openSession(pipeline.root),
      { jobs: 1, keepGoing: false, signal: new AbortController().signal, env: process.env, targets: ['bad'] },
      r.observer,
    );
    assert.equal(
      failing.steps.map((s) => [s.id, s.status, s.error]),
      [['bad', 'failed', 'bad things in a worker']],
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const cancelled = await execute(
      pipeline,
      openSession(pipeline.root),
      { jobs: 2, keepGoing: false, signal: controller.signal, env: process.env, targets: ['wait', 'spin'] },
      r.observer,
    );
    assert.is(cancelled.status, 'cancelled');
    assert.equal(
      cancelled.steps.map((s) => [s.id, s.status]),
      [
        ['wait', 'skipped'],
        ['spin', 'skipped'],
      ],
    );
  } finally {
    p.cleanup();
  }
});

test('through the CLI with tracking on: the registry is reached from the worker through the engine', async () => {
  const registryPlugin = `export default {
  name: 'reg', version: '1', description: 'reads the registry from a worker', cpu: true,
  paramsSchema: { type: 'object' }, inputs: {}, outputs: { seen: {} },
  async run(ctx) {
    const missing = await ctx.registry.getVersionByAlias('nothing_registered', 'champion');
    const failure = await ctx.registry.setAlias('nothing_registered', 'champion', '1').then(() => 'no error', (e) => e instanceof Error && e.message);
    return { seen: { kind: 'json', value: { description: ctx.registry.description, missing: missing ?? null, failure } } };
  },
};
`;
  const p = project({
    'package.json': '{ "type": "module" }\n',
    'plugins/reg.mjs': registryPlugin,
    'p.yaml': 'plugins: { reg: ./plugins/reg.mjs }\nsteps:\n  r: { uses: reg }\n',
  });
  try {
    const r = await p.runJson('p.yaml');
    assert.is(r.code, 0, r.stderr);
    const shown = JSON.parse((await p.run(['show', 'p.yaml', 'r.seen'])).stdout) as { description: string; missing: unknown; failure: string };
    const registryDir = join(p.dir, '.tradepipe', 'tracking', 'registry');
    assert.equal(shown, {
      description: `filesystem registry ${registryDir}`,
      missing: null,
      failure: `model nothing_registered is not registered (registry: ${registryDir})`,
    });
  } finally {
    p.cleanup();
  }
});

test.run();
