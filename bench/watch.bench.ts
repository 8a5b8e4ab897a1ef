/**
 * Watch mode: time from saving a file to the end of the rerun it causes, in a
 * 1,000-step pipeline (a leaf step, and the root step whose 999 dependents are then
 * re-checked and found cached), beyond the 200 ms debounce; and watcher start-up on a
 * project tracking 10,000 files (100 steps, each with a folder of 100 files as dep).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../engine/pipeline.ts';
import { startWatch, type Cycle, type WatchReporter } from '../engine/watch/start-watch.ts';
import type { BenchRow } from './harness.ts';

const DEBOUNCE_MS = 200;
const SAVES = 7;

/** A plugin that only declares its dep: the step itself costs nothing, so the watch loop is what is timed. */
const PLUGIN = `export default {
  name: 'touch', version: '1', description: 'declares a file dep',
  paramsSchema: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
  inputs: {}, outputs: {},
  files: (p: { path: string }) => ({ deps: [p.path] }),
  async run() { return {}; },
};
`;

function scaffold(steps: number, dep: (i: number) => string, files: (i: number) => Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tradepipe-watch-bench-'));
  const write = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  write('tradepipe.yaml', '');
  write('package.json', '{ "type": "module" }\n');
  write('plugins/touch.ts', PLUGIN);
  const lines = ['steps:'];
  for (let i = 0; i < steps; i++) {
    // A tree: every step needs the one before it a level up, so the root has every other step downstream.
    lines.push(`  s${i}: { uses: touch,${i > 0 ? ` needs: [s${Math.floor((i - 1) / 3)}],` : ''} with: { path: ${dep(i)} } }`);
    for (const [rel, text] of Object.entries(files(i))) write(rel, text);
  }
  write('p.yaml', [...lines, 'plugins:', '  touch: ./plugins/touch.ts', ''].join('\n'));
  return dir;
}

function recorder(onWatching?: (ms: number) => void) {
  const cycles: Cycle[] = [];
  let wake: (() => void) | undefined;
  const reporter: WatchReporter = {
    steps: { stepStarted() {}, stepProgress() {}, stepLog() {}, stepFinished() {} },
    watching: ({ ms }) => onWatching?.(ms),
    cycle(cycle) {
      cycles.push(cycle);
      wake?.();
    },
    unaffected() {},
    invalid: (error) => console.error(error.message),
    error: (error) => console.error(error),
    waiting() {},
  };
  let taken = 0;
  const next = async (): Promise<Cycle> => {
    while (taken >= cycles.length) await new Promise<void>((resolve) => (wake = resolve));
    return cycles[taken++]!;
  };
  return { reporter, next };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function saveToRerun(): Promise<BenchRow[]> {
  const dir = scaffold(1000, (i) => `data/in${i}.txt`, (i) => ({ [`data/in${i}.txt`]: `${i}` }));
  const { reporter, next } = recorder();
  const watch = await startWatch(await loadPipeline(join(dir, 'p.yaml')), { targets: [], overrides: [], jobs: 2, keepGoing: false, env: process.env, debounceMs: DEBOUNCE_MS }, reporter);
  try {
    await next();
    const time = async (step: number) => {
      const samples: number[] = [];
      for (let k = 0; k < SAVES; k++) {
        const t0 = performance.now();
        writeFileSync(join(dir, `data/in${step}.txt`), `${step} v${k}`);
        const cycle = await next();
        samples.push(performance.now() - t0 - DEBOUNCE_MS);
        if (cycle.result.steps.find((s) => s.id === `s${step}`)?.status !== 'executed') throw new Error(`s${step} did not rerun`);
      }
      return Math.round(median(samples));
    };
    const leaf = await time(999);
    const root = await time(0);
    return [
      { bench: 'watch', case: 'save -> rerun done, leaf step of 1,000 (beyond 200 ms debounce)', value: leaf, unit: 'ms', target: '< 300', ok: leaf < 300 },
      { bench: 'watch', case: 'save -> rerun done, root step of 1,000, 999 dependents re-checked (beyond debounce)', value: root, unit: 'ms' },
    ];
  } finally {
    await watch.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startUp(): Promise<BenchRow[]> {
  const dir = scaffold(100, (i) => `data/d${i}`, (i) => Object.fromEntries(Array.from({ length: 100 }, (_, f) => [`data/d${i}/f${f}.csv`, `${i},${f}\n`])));
  let ready = NaN;
  const { reporter } = recorder((ms) => (ready = ms));
  const watch = await startWatch(await loadPipeline(join(dir, 'p.yaml')), { targets: [], overrides: [], jobs: 2, keepGoing: false, env: process.env }, reporter);
  await watch.stop();
  rmSync(dir, { recursive: true, force: true });
  const ms = Math.round(ready);
  return [{ bench: 'watch', case: 'watcher start-up, 10,000 tracked files', value: ms, unit: 'ms', target: '< 3000', ok: ms < 3000 }];
}

export default async (): Promise<BenchRow[]> => [...(await saveToRerun()), ...(await startUp())];
