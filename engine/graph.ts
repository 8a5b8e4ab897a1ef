/**
 * The step DAG (graphology). Edges come from three places: typed inputs
 * (`inputs: { prices: ohlcv.prices }`), explicit `needs:`, and file deps that are
 * another step's outs (DVC-style). Two steps may not write the same path.
 */
import { DirectedGraph } from 'graphology';
import { topologicalSort } from 'graphology-dag';
import type { Diagnostic } from './errors.ts';
import { diagnosticAt, isPlainObject, type Path, type Positions } from './yaml-source.ts';
import { suggestion } from './schema/validate.ts';
import type { Step } from './pipeline-model.ts';

export type EdgeKind = 'input' | 'needs' | 'file';
export type StepGraph = DirectedGraph<Record<string, never>, { kinds: EdgeKind[] }>;

export function buildGraph(steps: ReadonlyMap<string, Step>, positions: Positions): { graph: StepGraph; order: string[]; diagnostics: Diagnostic[] } {
  const graph: StepGraph = new DirectedGraph();
  const diagnostics: Diagnostic[] = [];
  for (const id of steps.keys()) graph.addNode(id);
  const link = (from: string, to: string, kind: EdgeKind) => {
    const existing = graph.edge(from, to);
    if (existing) {
      const kinds = graph.getEdgeAttribute(existing, 'kinds');
      if (!kinds.includes(kind)) kinds.push(kind);
    } else graph.addDirectedEdge(from, to, { kinds: [kind] });
  };

  for (const step of steps.values()) {
    for (const ref of Object.values(step.inputs)) link(ref.step, step.id, 'input');
    step.needs.forEach((need, i) => {
      if (!steps.has(need)) {
        diagnostics.push(diagnosticAt(positions.get(['steps', step.id, 'needs', i]), 'unknown-need', `step \`${step.id}\` needs unknown step \`${need}\`${suggestion(need, [...steps.keys()])}`));
      } else link(need, step.id, 'needs');
    });
  }

  const writers: { path: string; step: Step }[] = [];
  for (const step of steps.values()) {
    for (const out of step.outs) {
      const clash = writers.find((w) => overlaps(w.path, out));
      if (clash) {
        const where = positions.nearest(findValue(step, out));
        const theirs = positions.nearest(findValue(clash.step, clash.path));
        const line = theirs?.value ? ` (line ${theirs.value.source.lines.linePos(theirs.value.start).line})` : '';
        diagnostics.push(diagnosticAt(where, 'duplicate-out', `out \`${out}\` of step \`${step.id}\` is also written by step \`${clash.step.id}\`${line}: two steps may not write the same path`));
      } else writers.push({ path: out, step });
    }
  }
  for (const step of steps.values()) {
    for (const dep of step.deps) {
      for (const w of writers) if (w.step.id !== step.id && overlaps(w.path, dep)) link(w.step.id, step.id, 'file');
    }
  }
  if (diagnostics.length > 0) return { graph, order: [], diagnostics };

  const cycle = findCycle(graph);
  if (cycle) {
    return { graph, order: [], diagnostics: [diagnosticAt(positions.get(['steps', cycle[0]!]), 'cycle', `cycle: ${cycle.join(' -> ')}`, 'key')] };
  }
  return { graph, order: topologicalSort(graph), diagnostics };
}

/** True when one path is the other or lies inside it. */
export function overlaps(a: string, b: string): boolean {
  return a === b || b.startsWith(a + '/') || a.startsWith(b + '/');
}

/** The params path holding `value`, for pointing at a file path the plugin declared. */
function findValue(step: Step, value: string): Path {
  const search = (v: unknown, path: Path): Path | undefined => {
    if (typeof v === 'string' && v.replace(/^\.\//, '').replace(/\/$/, '') === value) return path;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const hit = search(v[i], [...path, i]);
        if (hit) return hit;
      }
    } else if (isPlainObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        const hit = search(child, [...path, k]);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  return search(step.params, ['steps', step.id, 'with']) ?? ['steps', step.id];
}

/** A cycle as a path `a -> b -> a`, or undefined. Iterative DFS so 10,000-step graphs don't overflow. */
export function findCycle(graph: StepGraph): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  for (const start of graph.nodes()) {
    if (state.has(start)) continue;
    const stack: { node: string; next: string[] }[] = [{ node: start, next: graph.outNeighbors(start) }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const child = top.next.pop();
      if (child === undefined) {
        state.set(top.node, 2);
        stack.pop();
        continue;
      }
      const s = state.get(child);
      if (s === 1) {
        const from = stack.findIndex((f) => f.node === child);
        return [...stack.slice(from).map((f) => f.node), child];
      }
      if (s === undefined) {
        state.set(child, 1);
        stack.push({ node: child, next: graph.outNeighbors(child) });
      }
    }
  }
  return undefined;
}
