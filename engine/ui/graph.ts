/**
 * `/api/pipelines/:name/graph`: the step DAG with each step's status and the planner's
 * reason, exactly as `tradepipe status` states it, plus what runs in progress show.
 */
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import { describeReasons } from '../planner.ts';
import { planPipeline } from '../cli/plan.ts';
import type { Pipeline } from '../pipeline.ts';
import type { LiveState } from './live.ts';

export type NodeStatus = 'up-to-date' | 'stale' | 'running' | 'failed' | 'never-run';

export interface GraphNode {
  id: string;
  /** The step as written in YAML: a matrix instance's id up to its `@`. */
  group: string;
  /** A matrix instance's values, e.g. { policy: 'index' }; null for a plain step. */
  matrix: Record<string, string> | null;
  plugin: string;
  version: string;
  status: NodeStatus;
  reason: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** `output → port` for each wired input, or the edge's kind (`needs`, `file`). */
  labels: string[];
}

export interface GraphView {
  pipeline: string;
  file: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Runs of this pipeline in progress now. */
  running: string[];
}

export function matrixOf(id: string): { group: string; matrix: Record<string, string> | null } {
  const at = id.indexOf('@');
  if (at < 0) return { group: id, matrix: null };
  const matrix: Record<string, string> = {};
  for (const pair of id.slice(at + 1).split(',')) {
    const eq = pair.indexOf('=');
    matrix[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { group: id.slice(0, at), matrix };
}

export function edgesOf(pipeline: Pipeline): GraphEdge[] {
  return pipeline.graph.mapEdges((_edge, attrs, from, to) => {
    const step = pipeline.steps.get(to)!;
    const wired = Object.entries(step.inputs)
      .filter(([, ref]) => ref.step === from)
      .map(([port, ref]) => (port === ref.output ? port : `${ref.output} → ${port}`));
    return { from, to, labels: [...wired, ...attrs.kinds.filter((k) => k !== 'input')] };
  });
}

export async function graphView(pipeline: Pipeline, live: LiveState): Promise<GraphView> {
  const file = projectRelative(pipeline.root, pipeline.file);
  const { decisions } = await planPipeline(pipeline);
  const session = openSession(pipeline.root);
  const view = session.view(file);
  const lastRun = session.records.runs().find((r) => r.pipeline === file);
  const failedLast = new Set(lastRun?.steps.filter((s) => s.status === 'failed').map((s) => s.id));
  const active = live.active(file);
  const nodes = pipeline.order.map((id): GraphNode => {
    const step = pipeline.steps.get(id)!;
    const decision = decisions.get(id)!;
    let status: NodeStatus = decision.action === 'cached' ? 'up-to-date' : view.latest(id) ? 'stale' : 'never-run';
    let reason = describeReasons(decision.reasons);
    if (status !== 'up-to-date' && failedLast.has(id)) {
      status = 'failed';
      reason = `failed in run ${lastRun!.runId}; ${reason}`;
    }
    for (const run of active) {
      const now = run.steps.get(id);
      if (now === 'running') [status, reason] = ['running', `running in run ${run.runId}`];
      else if (now === 'failed') [status, reason] = ['failed', `failed in run ${run.runId}`];
    }
    return { id, ...matrixOf(id), plugin: step.plugin.plugin.name, version: step.plugin.plugin.version, status, reason };
  });
  return { pipeline: pipeline.name, file, nodes, edges: edgesOf(pipeline), running: active.map((r) => r.runId) };
}
