/** Whether a rerun follows the pipeline's running workflow or waits for it (engine/temporal/running.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareWithRunning, memoOf, workflowIdFor } from '../../engine/temporal/running.ts';
import type { GraphStep, RunGraph } from '../../engine/temporal/protocol.ts';

const step = (id: string, extra: Partial<GraphStep> = {}): GraphStep => ({ id, needs: [], done: {}, taskQueue: 'q', resources: {}, forced: false, maxAttempts: 3, ...extra });
const graph = (steps: GraphStep[]): RunGraph => ({ runId: 'r1', pipeline: 'p.yaml', overrides: [], jobs: 2, resources: {}, keepGoing: false, track: false, steps });
const defs = (entries: Record<string, string>) => new Map(Object.entries(entries));

const running = memoOf(graph([step('long', { key: 'k1' }), step('after', { needs: ['long'] })]), 'host-a', defs({ long: 'd-long', after: 'd-after' }));

test('the same steps in the same versions: attach, also when a step it completed is no longer in the new graph', () => {
  assert.equal(compareWithRunning(running, graph([step('long', { key: 'k1' }), step('after')]), defs({ long: 'd-long', after: 'd-after' })), { action: 'attach' });
  // `long` is done and cached by now; `after` has a key since, which the workflow did not know: still the same step.
  assert.equal(compareWithRunning(running, graph([step('after', { key: 'k2' })]), defs({ after: 'd-after' })), { action: 'attach' });
});

test('a changed definition or key is `changed`; a step it does not schedule, or forced only now, is `missing`', () => {
  assert.equal(compareWithRunning(running, graph([step('long', { key: 'k1' }), step('after')]), defs({ long: 'd-long', after: 'd-after-2' })), { action: 'wait', changed: ['after'], missing: [] });
  assert.equal(compareWithRunning(running, graph([step('long', { key: 'k9' })]), defs({ long: 'd-long' })), { action: 'wait', changed: ['long'], missing: [] });
  assert.equal(compareWithRunning(running, graph([step('long', { key: 'k1', forced: true }), step('extra')]), defs({ long: 'd-long', extra: 'd' })), { action: 'wait', changed: [], missing: ['long', 'extra'] });
});

test('the workflow id depends on the remote and the pipeline file only, and is readable', () => {
  const id = workflowIdFor('s3://team/cache', 'pipelines.d/full.yaml', 'Full strategy');
  assert.match(id, /^tradepipe-full-strategy-[0-9a-f]{12}$/);
  assert.is(workflowIdFor('s3://team/cache', 'pipelines.d/full.yaml', 'Full strategy'), id);
  assert.is.not(workflowIdFor('s3://team/other', 'pipelines.d/full.yaml', 'Full strategy'), id);
  assert.is.not(workflowIdFor('s3://team/cache', 'pipelines.d/other.yaml', 'Full strategy'), id);
});

test.run();
