/**
 * Property tests of the planner and executor (fast-check), in-process on random valid
 * pipelines of in-memory `pure` steps (random DAGs, params, matrix sizes, early cutoff)
 * and random edit sequences; and random mutations of valid YAML. Seeded: `npm test` runs
 * a few hundred cases with a fixed seed; `npm run fuzz` runs many more with a fresh seed
 * (TRADEPIPE_FUZZ_SEED and TRADEPIPE_FUZZ_RUNS override). A failure prints fast-check's
 * shrunk counterexample and the seed to replay it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline, type Pipeline } from '../../engine/pipeline.ts';
import { openSession } from '../../engine/cache-session.ts';
import { execute, type RunObserver, type RunResult } from '../../engine/executor.ts';
import { planPipeline, planJson } from '../../engine/cli/plan.ts';
import { InvalidInput, formatDiagnostic } from '../../engine/errors.ts';
import { executions } from './support/pure-step.ts';
import { applyEdit, editsArb, model, pipelineArb, pipelineYaml, type GenStep } from './support/random-pipelines.ts';

const FUZZ = process.env.TRADEPIPE_FUZZ === '1';
const SEED = Number(process.env.TRADEPIPE_FUZZ_SEED ?? (FUZZ ? Date.now() % 2 ** 31 : 19));
const scale = Number(process.env.TRADEPIPE_FUZZ_RUNS ?? (FUZZ ? 20 : 1));
const params = (numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED,
  numRuns: Math.max(1, Math.round(numRuns * scale)),
  verbose: 1,
  includeErrorInReport: true,
});
if (FUZZ) console.log(`fuzz: seed ${SEED}, ${scale}x the npm test case counts`);

const quiet: RunObserver = { stepStarted() {}, stepProgress() {}, stepLog() {}, stepFinished() {} };

interface Workspace {
  root: string;
  load(steps: readonly GenStep[]): Promise<Pipeline>;
  run(pipeline: Pipeline, jobs: number): Promise<RunResult>;
  cleanup(): Promise<void>;
}

function workspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'tradepipe-prop-'));
  writeFileSync(join(root, 'tradepipe.yaml'), '');
  const file = join(root, 'p.yaml');
  return {
    root,
    async load(steps) {
      writeFileSync(file, pipelineYaml(steps));
      return loadPipeline(file);
    },
    run: (pipeline, jobs) => execute(pipeline, openSession(root), { jobs, keepGoing: false, signal: new AbortController().signal, env: {} }, quiet),
    cleanup: () => removeWhenSettled(root),
  };
}

/**
 * Loading writes its spec cache in the background (best effort, never awaited), so a file may appear while
 * the folder is being removed: try again until that write has landed.
 */
async function removeWhenSettled(root: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      rmSync(root, { recursive: true, force: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 50) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const executed = (r: RunResult) =>
  r.steps
    .filter((s) => s.status === 'executed')
    .map((s) => s.id)
    .sort();
const outputsOf = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.id, s.outputs]));
const plan = async (pipeline: Pipeline) => {
  const { order, decisions } = await planPipeline(pipeline);
  return planJson(order, decisions);
};

/** Every executed instance started after its executed upstream instances ended, and never more than `jobs` ran at once. */
function assertOrder(steps: readonly GenStep[], jobs: number): void {
  const m = model(steps);
  const at = new Map<string, { start: number; end: number }>();
  let running = 0;
  executions.forEach((e, t) => {
    const seen = at.get(e.id) ?? { start: -1, end: -1 };
    seen[e.phase] = t;
    at.set(e.id, seen);
    running += e.phase === 'start' ? 1 : -1;
    assert.ok(running <= jobs, `more than --jobs ${jobs} steps ran at once`);
  });
  for (const [id, when] of at) {
    for (const up of m.get(id)!.upstream) {
      const before = at.get(up);
      if (before) assert.ok(before.end < when.start, `${id} started before its upstream ${up} ended (--jobs ${jobs})`);
    }
  }
}

test('runs after random edits: exactly the instances whose params or input bytes are new execute; a rerun executes nothing; outputs equal a cold run; DAG order holds at every --jobs', async () => {
  await fc.assert(
    fc.asyncProperty(pipelineArb, editsArb, fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }), async (initial, edits, jobsList) => {
      const ws = workspace();
      try {
        const seen = new Set<string>();
        let steps = initial;
        for (const [n, next] of [initial, ...edits.map((e) => (steps = applyEdit(steps, e)))].entries()) {
          const jobs = jobsList[n % jobsList.length]!;
          const pipeline = await ws.load(next);
          const expected = [...model(next)]
            .filter(([, inst]) => !seen.has(inst.identity))
            .map(([iid]) => iid)
            .sort();
          const planned = await plan(pipeline);
          executions.length = 0;
          const r = await ws.run(pipeline, jobs);
          assert.is(r.status, 'succeeded');
          assert.equal(executed(r), expected, 'executed exactly the instances with new params or input bytes');
          for (const p of planned)
            if (p.status === 'up-to-date') assert.is(r.steps.find((s) => s.id === p.id)!.status, 'cached', `planned up-to-date ${p.id} stays cached`);
          assertOrder(next, jobs);
          for (const inst of model(next).values()) seen.add(inst.identity);
          const again = await ws.run(await ws.load(next), jobs);
          assert.equal(executed(again), [], 'an unchanged rerun executes nothing');
        }
        const cold = workspace();
        try {
          const final = await cold.run(await cold.load(steps), 2);
          assert.equal(outputsOf(await ws.run(await ws.load(steps), 1)), outputsOf(final), 'outputs equal a cold run');
        } finally {
          await cold.cleanup();
        }
      } finally {
        await ws.cleanup();
      }
    }),
    params(25),
  );
});

test('planning is deterministic: the same graph and cache state give the same plan and reasons', async () => {
  await fc.assert(
    fc.asyncProperty(pipelineArb, editsArb, async (initial, edits) => {
      const ws = workspace();
      try {
        await ws.run(await ws.load(initial), 2);
        let steps = initial;
        for (const e of edits) steps = applyEdit(steps, e);
        const pipeline = await ws.load(steps);
        const first = await plan(pipeline);
        assert.equal(await plan(pipeline), first);
        assert.equal(await plan(await ws.load(steps)), first, 'and after reloading the file');
      } finally {
        await ws.cleanup();
      }
    }),
    params(50),
  );
});

/** Edits a YAML text the way a hurried person (or a bad merge) might. */
const mutationArb = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ':',
      ' ',
      '\n',
      '{',
      '}',
      '[',
      ']',
      ',',
      '-',
      '#',
      '&a',
      '*a',
      '!!int',
      '|',
      '>',
      "'",
      '"',
      '%',
      '@',
      '`',
      '  ',
      '\t',
      'null',
      '~',
      '$ref: x.yaml',
      '${vars.x}',
      '${matrix.seed}',
      'steps:',
      'uses: pure',
      's0.out',
      '<<: *a',
      '0x1F',
      '1e400',
      '..',
    ),
  }),
  fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap-lines' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const line = (at: number) => at % lines.length;
  switch (m.op) {
    case 'delete': {
      const at = m.at % text.length;
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'duplicate-line':
      lines.splice(line(m.at), 0, lines[line(m.at)]!);
      return lines.join('\n');
    case 'swap-lines': {
      const [a, b] = [line(m.at), line(m.other)];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'indent': {
      const i = line(m.at);
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

test('random YAML mutations of a valid pipeline give a valid pipeline or positioned errors, never a crash', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tradepipe-yaml-'));
  writeFileSync(join(root, 'tradepipe.yaml'), '');
  const file = join(root, 'p.yaml');
  try {
    await fc.assert(
      fc.asyncProperty(pipelineArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (steps, mutations) => {
        const text = mutations.reduce(mutate, pipelineYaml(steps));
        writeFileSync(file, text);
        try {
          await loadPipeline(file);
        } catch (error) {
          if (!(error instanceof InvalidInput)) throw new Error(`not a diagnostic: ${(error as Error)?.stack ?? String(error)}\n--- file ---\n${text}`);
          assert.ok(error.diagnostics.length > 0);
          for (const d of error.diagnostics) {
            assert.ok(d.span !== undefined, `no position for: ${d.message}\n--- file ---\n${text}`);
            const shown = formatDiagnostic(d, { color: false });
            assert.match(shown, /^\S*p\.yaml:\d+:\d+: /, shown);
          }
        }
      }),
      params(200),
    );
  } finally {
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
  }
});

test.run();
