/**
 * When steps start: a step is ready once all its selected upstream steps are done, and
 * starts when a `jobs` slot is free and its resources fit (p-queue). A failed or skipped
 * step skips its dependents; without keep-going, the first failure stops new starts.
 */
import PQueue from 'p-queue';
import type { Pipeline } from './pipeline.ts';
import type { Step } from './pipeline-model.ts';
import type { RunObserver, RunState, StepOutcome, StepResult } from './run-state.ts';

export interface SchedulerOptions {
  pipeline: Pipeline;
  state: RunState;
  observer: RunObserver;
  jobs: number;
  keepGoing: boolean;
  resources: Readonly<Record<string, number>> | undefined;
  /** The run's signal: the caller's, or the scheduler's own stop after a failure. */
  signal: AbortSignal;
  /** Aborted by the scheduler when a step fails without keep-going. */
  cancel: AbortController;
  stepCancelled(id: string): boolean;
  upstreamOf(id: string): string[];
  runStep(step: Step): Promise<StepOutcome>;
  /** Masks secrets in a failed step's error message. */
  redact(text: string): string;
}

export class Scheduler {
  private readonly queue: PQueue;
  /** Selected upstream steps not done yet, per step. */
  private readonly waiting: Map<string, number>;
  private readonly ready: string[];
  private readonly inUse = new Map<string, number>();
  private stopping = false;
  private settle!: () => void;
  private readonly finished = new Promise<void>((r) => (this.settle = r));

  constructor(private readonly o: SchedulerOptions) {
    const { order } = o.state;
    this.queue = new PQueue({ concurrency: Math.max(1, o.jobs) });
    this.waiting = new Map(order.map((id) => [id, o.upstreamOf(id).length]));
    this.ready = order.filter((id) => this.waiting.get(id) === 0);
  }

  /** Starts what is ready and resolves once every selected step has a result. */
  async run(): Promise<void> {
    if (this.o.state.order.length === 0) this.settle();
    this.pump();
    await this.finished;
  }

  /** Resolves when no step is running any more. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Starts every ready step that fits; skips those that can no longer run. */
  pump(): void {
    const { state, signal } = this.o;
    const ready = this.ready;
    for (let i = 0; i < ready.length; ) {
      const id = ready[i]!;
      const step = this.o.pipeline.steps.get(id)!;
      const blockedBy = this.o.upstreamOf(id).filter((u) => state.failed.has(u));
      if (this.stopping || signal.aborted || this.o.stepCancelled(id) || blockedBy.length > 0) {
        ready.splice(i, 1);
        const cancelled = (signal.aborted && !this.stopping) || this.o.stepCancelled(id);
        const upstream = `upstream ${blockedBy.map((b) => `\`${b}\``).join(', ')} did not complete`;
        this.skip(id, cancelled ? 'cancelled' : blockedBy.length > 0 ? upstream : 'not started: another step failed');
        continue;
      }
      if (!this.fits(step)) {
        i++;
        continue;
      }
      ready.splice(i, 1);
      this.hold(step, 1);
      void this.queue.add(() => this.start(step));
    }
  }

  /**
   * A step frees its jobs slot as soon as its work is done, and is reported (and its
   * dependents start) once its record is durable: a timeline never shows a step starting
   * before its upstream step ended, and a record that cannot be written fails its step.
   */
  private async start(step: Step): Promise<void> {
    const { state } = this.o;
    const id = step.id;
    let outcome: StepOutcome;
    state.running.add(id);
    try {
      outcome = await this.o.runStep(step);
    } catch (error) {
      outcome = { result: this.failure(id, error) };
    }
    state.running.delete(id);
    this.hold(step, -1);
    const { result, durable } = outcome;
    if (durable) {
      void durable.then(
        () => this.committed(result),
        (error: unknown) => this.committed({ ...this.failure(id, error), reason: result.reason, duration_ms: result.duration_ms }),
      );
    } else this.finish(result);
    this.pump();
  }

  private committed(res: StepResult): void {
    this.finish(res);
    this.pump();
  }

  /** The result of a step that threw: failed, or skipped when it was cancelled. The first failure stops the run unless keep-going. */
  private failure(id: string, error: unknown): StepResult {
    const cancelled = this.o.signal.aborted || this.o.stepCancelled(id);
    const began = this.o.state.started.get(id);
    const res: StepResult = {
      id,
      status: cancelled ? 'skipped' : 'failed',
      reason: cancelled ? 'cancelled' : (began?.why ?? 'could not be planned'),
      duration_ms: began ? Math.round(performance.now() - began.at) : 0,
      outputs: {},
      error: this.o.redact(messageOf(error)),
    };
    if (!cancelled && !this.o.keepGoing) {
      this.stopping = true;
      this.o.cancel.abort(new Error(`step \`${id}\` failed`));
    }
    return res;
  }

  private finish(res: StepResult): void {
    const { state } = this.o;
    state.results.set(res.id, res);
    this.o.observer.stepFinished(res);
    if (res.status === 'failed' || res.status === 'skipped') state.failed.add(res.id);
    for (const next of this.o.pipeline.graph.outNeighbors(res.id)) {
      if (!this.waiting.has(next)) continue;
      const left = this.waiting.get(next)! - 1;
      this.waiting.set(next, left);
      if (left === 0) this.ready.push(next);
    }
    if (state.results.size === state.order.length) this.settle();
  }

  private skip(id: string, reason: string): void {
    this.finish({ id, status: 'skipped', reason, duration_ms: 0, outputs: {} });
  }

  private capacity(name: string, wanted: number): number {
    return Math.max(this.o.resources?.[name] ?? 1, wanted);
  }

  private fits(step: Step): boolean {
    return Object.entries(step.resources).every(([r, n]) => (this.inUse.get(r) ?? 0) + n <= this.capacity(r, n));
  }

  private hold(step: Step, sign: 1 | -1): void {
    for (const [r, n] of Object.entries(step.resources)) this.inUse.set(r, (this.inUse.get(r) ?? 0) + sign * n);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
