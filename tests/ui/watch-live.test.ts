import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import type { EngineEvent } from '../../engine/events.ts';
import { BIN, project } from '../helpers/project.ts';
import { readEvents, startUi } from './support.ts';

const PIPELINE = `steps:
  a: { uses: exec, with: { cmd: "echo a" } }
  b: { uses: exec, with: { cmd: "echo b1" } }
  c: { uses: exec, needs: [b], with: { cmd: "echo c" } }
`;

test('ui + watch: a param edit reaches /api/events as the affected steps run; SIGINT stops watch (130)', async () => {
  const p = project({ 'p.yaml': PIPELINE });
  const ui = await startUi(p.dir, []);
  const watch = execa(BIN, ['watch', 'p.yaml', '--json', '--debounce', '100'], { cwd: p.dir, reject: false, env: { NO_COLOR: '1', MLFLOW_TRACKING_URI: '' } });
  try {
    // The first cycle (everything) is done once its JSON line is out.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('watch printed no first cycle within 30 s')), 30_000);
      watch.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('{')) (clearTimeout(timer), resolve());
      });
    });
    let edited = 0;
    const events = await readEvents<EngineEvent>(
      `${ui.origin}/api/events`,
      () => {
        edited = Date.now();
        p.write('p.yaml', PIPELINE.replace('echo b1', 'echo b2'));
      },
      (e) => e.type === 'run-finished',
      20_000,
    );
    const latency = Date.now() - edited;
    // b reruns; c only needs b to finish first (no data from it), so it stays cached: the early cutoff.
    const steps = events.filter((e) => e.type === 'step-started' || e.type === 'step-finished').map((e) => [e.type, 'step' in e ? e.step : null, 'status' in e ? e.status : null]);
    assert.equal(steps, [['step-started', 'b', null], ['step-finished', 'b', 'executed'], ['step-finished', 'c', 'cached']], JSON.stringify(events));
    assert.equal(events.at(-1), { ...events.at(-1)!, type: 'run-finished', status: 'succeeded', pipeline: 'p.yaml' });
    assert.ok(latency < 10_000, `the edit's run reached the stream in ${latency} ms`);
    watch.kill('SIGINT');
    const done = await watch;
    assert.is(done.exitCode, 130, done.stderr);
  } finally {
    watch.kill('SIGKILL');
    await ui.stop();
    p.cleanup();
  }
});

test.run();
