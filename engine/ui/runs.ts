/**
 * `/api/runs`: a pipeline's run history, one run's steps as a timeline (from its event
 * stream), and two runs compared (params from the run records, as `runs compare`).
 */
import { openSession } from '../cache-session.ts';
import { readRunEvents } from '../events.ts';
import { openTarget } from '../tracking/target.ts';
import { compareRuns, type RunComparison } from '../tracking/commands/runs.ts';
import type { RunSummary } from '../records.ts';
import type { LiveState } from './live.ts';
import { NotFound } from './catalogue.ts';

export interface RunRow {
  runId: string;
  pipeline: string;
  startedAt: string;
  finishedAt: string | null;
  status: RunSummary['status'] | 'running';
  counts: Record<string, number>;
}

export interface TimelineStep {
  id: string;
  status: string;
  /** Milliseconds since the run started; null where the stream has no timing (a run from before it existed). */
  start: number | null;
  end: number | null;
  reason: string;
}

export interface Timeline {
  runId: string;
  pipeline: string;
  startedAt: number | null;
  status: RunRow['status'];
  steps: TimelineStep[];
}

function counts(steps: { status: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) out[s.status] = (out[s.status] ?? 0) + 1;
  return out;
}

export function runRows(root: string, pipelineFile: string | undefined, live: LiveState): RunRow[] {
  const session = openSession(root);
  const done = session.records.runs().filter((r) => pipelineFile === undefined || r.pipeline === pipelineFile);
  const rows: RunRow[] = done.map((r) => ({ runId: r.runId, pipeline: r.pipeline, startedAt: r.startedAt, finishedAt: r.finishedAt, status: r.status, counts: counts(r.steps) }));
  const known = new Set(rows.map((r) => r.runId));
  const running = pipelineFile === undefined ? [] : live.active(pipelineFile).filter((r) => !known.has(r.runId));
  return [
    ...running.map((r): RunRow => ({ runId: r.runId, pipeline: r.pipeline, startedAt: new Date(r.startedAt).toISOString(), finishedAt: null, status: 'running', counts: counts([...r.steps.values()].map((status) => ({ status }))) })),
    ...rows,
  ];
}

export function timeline(root: string, runId: string): Timeline {
  const session = openSession(root);
  const summary = session.records.runs().find((r) => r.runId === runId);
  const events = readRunEvents(session.paths.store, runId);
  if (!summary && events.length === 0) throw new NotFound(`no run \`${runId}\``);
  const started = events.find((e) => e.type === 'run-started');
  const t0 = started?.t ?? null;
  const steps = new Map<string, TimelineStep>();
  for (const id of started?.type === 'run-started' ? started.steps : (summary?.steps.map((s) => s.id) ?? [])) steps.set(id, { id, status: 'pending', start: null, end: null, reason: '' });
  for (const e of events) {
    if (e.type !== 'step-started' && e.type !== 'step-finished') continue;
    const s = steps.get(e.step) ?? { id: e.step, status: 'pending', start: null, end: null, reason: '' };
    steps.set(e.step, s);
    if (e.type === 'step-started') Object.assign(s, { status: 'running', start: e.t - t0!, reason: e.reason });
    else Object.assign(s, { status: e.status, start: s.start ?? e.t - e.durationMs - t0!, end: e.t - t0!, reason: e.reason });
  }
  if (events.length === 0 && summary) for (const s of summary.steps) steps.get(s.id)!.status = s.status;
  const finished = events.find((e) => e.type === 'run-finished');
  const status: RunRow['status'] = finished?.type === 'run-finished' ? finished.status : (summary?.status ?? 'running');
  return { runId, pipeline: summary?.pipeline ?? started?.pipeline ?? '', startedAt: t0, status, steps: [...steps.values()] };
}

export async function compare(root: string, env: NodeJS.ProcessEnv, a: string, b: string): Promise<RunComparison> {
  const session = openSession(root);
  const { backend } = await openTarget({ store: session.store, env });
  return compareRuns(backend, [a, b]);
}
