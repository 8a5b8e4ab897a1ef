/** The server's JSON API, typed by the modules that produce it. */
import type { CatalogueEntry } from '../catalogue.ts';
import type { GraphView } from '../graph.ts';
import type { StepDetail } from '../step.ts';
import type { OutputPreview } from '../outputs.ts';
import type { RunRow, Timeline } from '../runs.ts';
import type { RunComparison } from '../../tracking/commands/runs.ts';
import type { EngineEvent } from '../../events.ts';

export type { CatalogueEntry, GraphView, StepDetail, OutputPreview, RunRow, Timeline, RunComparison, EngineEvent };
export type { GraphNode, GraphEdge, NodeStatus } from '../graph.ts';

export class ApiError extends Error {}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

const q = encodeURIComponent;

export const api = {
  config: () => get<{ allowRun: boolean }>('/api/config'),
  pipelines: () => get<CatalogueEntry[]>('/api/pipelines'),
  graph: (pipeline: string) => get<GraphView>(`/api/pipelines/${q(pipeline)}/graph`),
  step: (pipeline: string, id: string) => get<StepDetail>(`/api/steps/${q(id)}?pipeline=${q(pipeline)}`),
  output: (pipeline: string, id: string, name: string, offset: number, limit: number) =>
    get<OutputPreview>(`/api/steps/${q(id)}/outputs/${q(name)}?pipeline=${q(pipeline)}&offset=${offset}&limit=${limit}`),
  runs: (pipeline: string) => get<RunRow[]>(`/api/runs?pipeline=${q(pipeline)}`),
  timeline: (runId: string) => get<Timeline>(`/api/runs/${q(runId)}`),
  compare: (a: string, b: string) => get<RunComparison>(`/api/compare?a=${q(a)}&b=${q(b)}`),
  async run(pipeline: string, steps: string[], set: string[]): Promise<void> {
    const res = await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pipeline, steps, set }) });
    if (!res.ok) throw new ApiError(((await res.json()) as { error?: string }).error ?? res.statusText);
  },
};

/** Engine events as they happen (server-sent events); EventSource reconnects by itself. */
export function onEngineEvents(handler: (e: EngineEvent) => void): EventSource {
  const source = new EventSource('/api/events');
  source.addEventListener('engine', (m) => handler(JSON.parse((m as MessageEvent<string>).data) as EngineEvent));
  return source;
}
