/**
 * The scheduler's Prometheus metrics, registered on a registry the caller owns, so the
 * project's metrics registry can carry them beside its own. Labelled by pipeline name,
 * like the per-pipeline run metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Decision } from './state.ts';

export type RunStatus = 'succeeded' | 'failed' | 'cancelled' | 'unknown';
const STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'unknown'];

export interface ScheduleMetrics {
  scheduled(pipeline: string, lastSuccess: Date | undefined): void;
  nextFire(pipeline: string, at: Date | null): void;
  decided(pipeline: string, decision: Decision): void;
  running(pipeline: string, count: number): void;
  finished(pipeline: string, status: RunStatus, at: Date): void;
  unscheduled(pipeline: string): void;
}

export function registerScheduleMetrics(registry: Registry): ScheduleMetrics {
  const registers = [registry];
  const nextFire = new Gauge({ name: 'tradepipe_schedule_next_fire_timestamp_seconds', help: 'Unix time of the next slot the schedule fires.', labelNames: ['pipeline'], registers });
  const lastSuccess = new Gauge({ name: 'tradepipe_schedule_last_success_timestamp_seconds', help: 'Unix time the last scheduled run succeeded.', labelNames: ['pipeline'], registers });
  const lastOutcome = new Gauge({ name: 'tradepipe_schedule_last_outcome', help: 'Outcome of the last finished scheduled run: 1 for its status, 0 for the others.', labelNames: ['pipeline', 'status'], registers });
  const runs = new Counter({ name: 'tradepipe_schedule_runs_total', help: 'Scheduled runs finished, by status.', labelNames: ['pipeline', 'status'], registers });
  const slots = new Counter({ name: 'tradepipe_schedule_slots_total', help: 'Slots dealt with, by decision (run, catch-up, queued, skipped, missed).', labelNames: ['pipeline', 'decision'], registers });
  const running = new Gauge({ name: 'tradepipe_schedule_running_runs', help: 'Scheduled runs in progress.', labelNames: ['pipeline'], registers });
  return {
    scheduled(pipeline, success) {
      for (const status of STATUSES) runs.inc({ pipeline, status }, 0);
      running.set({ pipeline }, 0);
      if (success) lastSuccess.set({ pipeline }, success.getTime() / 1000);
    },
    nextFire: (pipeline, at) => (at ? nextFire.set({ pipeline }, at.getTime() / 1000) : nextFire.remove({ pipeline })),
    decided: (pipeline, decision) => slots.inc({ pipeline, decision }),
    running: (pipeline, count) => running.set({ pipeline }, count),
    finished(pipeline, status, at) {
      runs.inc({ pipeline, status });
      for (const s of STATUSES) lastOutcome.set({ pipeline, status: s }, s === status ? 1 : 0);
      if (status === 'succeeded') lastSuccess.set({ pipeline }, at.getTime() / 1000);
    },
    unscheduled: (pipeline) => nextFire.remove({ pipeline }),
  };
}
