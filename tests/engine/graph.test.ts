/** The step graph on its own: edges from inputs, needs and files, clashing outs, cycles. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildGraph, findCycle, overlaps } from '../../engine/graph.ts';
import type { Step } from '../../engine/pipeline-model.ts';
import type { LoadedPlugin } from '../../engine/plugin-loader.ts';
import { Positions } from '../../engine/yaml-source.ts';

function step(id: string, over: Partial<Step> = {}): Step {
  return {
    id,
    uses: 'add',
    plugin: {} as LoadedPlugin,
    params: {},
    inputs: {},
    outputs: ['value'],
    needs: [],
    env: [],
    cache: true,
    alwaysRun: false,
    resources: {},
    deps: [],
    outs: [],
    ...over,
  };
}

const graphOf = (...steps: Step[]) => buildGraph(new Map(steps.map((s) => [s.id, s])), new Positions());

test('inputs, needs and a dep inside another step\'s out become edges; order is topological', () => {
  const { graph, order, diagnostics } = graphOf(
    step('report', { inputs: { x: { step: 'train', output: 'value' } }, needs: ['prepare'] }),
    step('train', { deps: ['data/prices/2024.csv'] }),
    step('prepare', { outs: ['data/prices'] }),
  );
  assert.equal(diagnostics, []);
  assert.equal(order, ['prepare', 'train', 'report']);
  assert.equal(graph.getEdgeAttribute(graph.edge('train', 'report')!, 'kinds'), ['input']);
  assert.equal(graph.getEdgeAttribute(graph.edge('prepare', 'report')!, 'kinds'), ['needs']);
  assert.equal(graph.getEdgeAttribute(graph.edge('prepare', 'train')!, 'kinds'), ['file']);
});

test('an input and a need on the same step make one edge with both kinds', () => {
  const { graph } = graphOf(step('a'), step('b', { inputs: { x: { step: 'a', output: 'value' } }, needs: ['a'] }));
  assert.equal(graph.getEdgeAttribute(graph.edge('a', 'b')!, 'kinds'), ['input', 'needs']);
});

test('an unknown need is reported with a suggestion, and no order is given', () => {
  const { order, diagnostics } = graphOf(step('train'), step('report', { needs: ['trian'] }));
  assert.equal(order, []);
  assert.equal(diagnostics.map((d) => d.message), ['step `report` needs unknown step `trian` (did you mean `train`?)']);
});

test('two steps writing overlapping outs are refused', () => {
  const { diagnostics } = graphOf(step('a', { outs: ['models'] }), step('b', { outs: ['models/ppo'] }));
  assert.equal(diagnostics.map((d) => d.message), ['out `models/ppo` of step `b` is also written by step `a`: two steps may not write the same path']);
});

test('a cycle is reported as a path', () => {
  const { order, diagnostics } = graphOf(step('a', { needs: ['c'] }), step('b', { needs: ['a'] }), step('c', { needs: ['b'] }));
  assert.equal(order, []);
  assert.equal(diagnostics.map((d) => d.message), ['cycle: a -> b -> c -> a']);
});

test('findCycle copes with a 10,000-step chain; overlaps compares whole path segments', () => {
  const steps = Array.from({ length: 10_000 }, (_, i) => step(`s${i}`, { needs: i > 0 ? [`s${i - 1}`] : [] }));
  const { graph, order } = graphOf(...steps);
  assert.is(order.length, 10_000);
  assert.is(findCycle(graph), undefined);
  assert.ok(overlaps('data', 'data/a.csv'));
  assert.ok(overlaps('data/a.csv', 'data'));
  assert.not.ok(overlaps('data', 'database'));
});

test.run();
