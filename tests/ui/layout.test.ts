/** The graph's layout model (engine/ui/app/layout.ts): folding matrix groups, merging edges, labels. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { foldedStatus, labelText, layoutGraph } from '../../engine/ui/app/layout.ts';
import type { GraphView, GraphNode } from '../../engine/ui/graph.ts';

const node = (id: string, status: GraphNode['status'], matrix: Record<string, string> | null = null): GraphNode => ({
  id,
  group: id.split('@')[0]!,
  matrix,
  plugin: 'backtest',
  version: '1',
  status,
  reason: '',
});

const graph: GraphView = {
  pipeline: 'p',
  file: 'p.yaml',
  running: [],
  nodes: [node('split', 'up-to-date'), node('bt@policy=a', 'up-to-date', { policy: 'a' }), node('bt@policy=b', 'stale', { policy: 'b' }), node('compare', 'never-run')],
  edges: [
    { from: 'split', to: 'bt@policy=a', labels: ['test → data'] },
    { from: 'split', to: 'bt@policy=b', labels: ['test → data'] },
    { from: 'bt@policy=a', to: 'compare', labels: ['stats → items@policy=a'] },
    { from: 'bt@policy=b', to: 'compare', labels: ['stats → items@policy=b', 'needs'] },
  ],
};

test('a folded matrix is one node with its worst status; its edges merge with their labels', () => {
  const l = layoutGraph(graph, new Set());
  assert.equal(l.nodes.map((n) => [n.key, n.label, n.status, n.members.length]), [
    ['split', 'split', 'up-to-date', 1],
    ['group:bt', 'bt', 'stale', 2],
    ['compare', 'compare', 'never-run', 1],
  ]);
  assert.is(l.nodes[1]!.detail, 'matrix ×2 · backtest');
  assert.equal(l.edges.map((e) => [e.from, e.to, labelText(e)]), [
    ['split', 'group:bt', 'test → data'],
    ['group:bt', 'compare', 'stats → items@policy=a, stats → items@policy=b'],
  ]);
  assert.equal(l.clusters, []);
  // Left to right: each node sits right of what it depends on.
  const x = Object.fromEntries(l.nodes.map((n) => [n.key, n.x]));
  assert.ok(x.split! < x['group:bt']! && x['group:bt']! < x.compare!);
});

test('an unfolded matrix draws its instances inside a cluster', () => {
  const l = layoutGraph(graph, new Set(['bt']));
  assert.equal(l.nodes.map((n) => [n.key, n.label, n.cluster ?? null]), [
    ['split', 'split', null],
    ['bt@policy=a', 'policy=a', 'bt'],
    ['bt@policy=b', 'policy=b', 'bt'],
    ['compare', 'compare', null],
  ]);
  assert.is(l.clusters.length, 1);
  const [c] = l.clusters;
  for (const n of l.nodes.filter((v) => v.cluster)) {
    assert.ok(Math.abs(n.x - c!.x) <= c!.width / 2 && Math.abs(n.y - c!.y) <= c!.height / 2, `${n.key} inside the cluster`);
  }
  assert.is(labelText(l.edges.find((e) => e.from === 'bt@policy=b')!), 'stats → items@policy=b', 'a bare `needs` is not a label');
});

test('folded status: failed, then running, stale, never run, up to date', () => {
  assert.is(foldedStatus([{ status: 'up-to-date' }, { status: 'failed' }, { status: 'running' }]), 'failed');
  assert.is(foldedStatus([{ status: 'never-run' }, { status: 'running' }]), 'running');
  assert.is(foldedStatus([{ status: 'never-run' }, { status: 'stale' }]), 'stale');
  assert.is(foldedStatus([{ status: 'up-to-date' }, { status: 'never-run' }]), 'never-run');
});

test.run();
