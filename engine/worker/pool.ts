/**
 * A pool of worker threads for CPU-bound plugins (those declaring `cpu`), sized by
 * `--jobs`, so that a `matrix:` sweep of training steps uses every core and light steps
 * on the main thread are not starved by them. Workers start on first need and are
 * reused; `close` ends them. A step's context is proxied (see protocol.ts): the plugin
 * in the worker logs, tracks, reports progress and calls the registry through the
 * engine's own StepContext for that step.
 */
import { Worker } from 'node:worker_threads';
import type { Artifact, InputArtifact, StepContext } from '../plugin.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);
/** How long an aborted plugin may take to notice `ctx.signal` before its worker is terminated. */
const ABORT_GRACE_MS = 2000;

export interface CpuJob {
  entry: string;
  params: Record<string, unknown>;
  inputs: Record<string, InputArtifact>;
  /** The engine-side context the worker's effects are forwarded to. */
  ctx: StepContext;
  /** Called when the plugin in the worker asks for a secret, so the engine masks its value too. */
  secretUsed(name: string): void;
  secretEnv: NodeJS.ProcessEnv;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  constructor(private readonly size: number) {}

  async run(job: CpuJob): Promise<Record<string, Artifact>> {
    job.ctx.signal.throwIfAborted();
    const worker = this.idle.pop() ?? this.spawn();
    // Referenced while it works (the run must not exit under it), unreferenced while idle.
    worker.ref();
    const { ctx } = job;
    let terminated = false;
    const onAbort = () => {
      worker.postMessage({ type: 'abort', reason: String((ctx.signal.reason as Error | undefined)?.message ?? 'aborted') } satisfies ToWorker);
      setTimeout(() => {
        if (!settled) {
          terminated = true;
          void worker.terminate();
        }
      }, ABORT_GRACE_MS).unref();
    };
    let settled = false;
    try {
      return await new Promise<Record<string, Artifact>>((resolve, reject) => {
        const onMessage = (message: FromWorker) => {
          switch (message.type) {
            case 'log':
              ctx.log[message.level](message.message);
              break;
            case 'progress':
              ctx.progress(message.fraction, message.message);
              break;
            case 'track':
              (ctx.track[message.method] as (...args: unknown[]) => void)(...message.args);
              break;
            case 'secret':
              job.secretUsed(message.name);
              break;
            case 'registry':
              void this.callRegistry(worker, ctx, message.id, message.method, message.args);
              break;
            case 'done':
              finish(() => resolve(message.outputs));
              break;
            case 'failed':
              finish(() => reject(message.aborted && ctx.signal.aborted ? ctx.signal.reason : new Error(message.message)));
              break;
          }
        };
        const onExit = (code: number) => {
          const killed = terminated && ctx.signal.aborted;
          terminated = true;
          finish(() => reject(killed ? ctx.signal.reason : new Error(`plugin worker exited with code ${code}`)));
        };
        // An uncaught error ends the worker: it is not given another step.
        const onError = (error: Error) => {
          terminated = true;
          finish(() => reject(error));
        };
        const finish = (settle: () => void) => {
          settled = true;
          worker.off('message', onMessage).off('exit', onExit).off('error', onError);
          settle();
        };
        worker.on('message', onMessage).on('exit', onExit).on('error', onError);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        worker.postMessage({
          type: 'run',
          entry: job.entry,
          params: job.params,
          inputs: Object.fromEntries(Object.entries(job.inputs).map(([name, a]) => [name, { kind: a.kind, hash: a.hash, path: a.path }])),
          ctx: {
            stepId: ctx.stepId,
            projectRoot: ctx.projectRoot,
            scratchDir: ctx.scratchDir,
            env: { ...ctx.env },
            run: ctx.run,
            ...(ctx.registry ? { registry: ctx.registry.description } : {}),
          },
          secretEnv: { ...job.secretEnv },
        } satisfies ToWorker);
      });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (terminated || !this.all.has(worker)) this.all.delete(worker);
      else {
        worker.unref();
        this.idle.push(worker);
      }
    }
  }

  /** Ends every worker (at the end of a run: the next run loads plugins afresh, so watch mode sees edits). */
  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    if (this.all.size >= this.size) throw new Error(`internal: more than ${this.size} CPU-bound steps at once`);
    // Under bin/tradepipe a worker loads the engine's transpiled mirror, as the CLI does, instead of TypeScript through tsx.
    const mirrored = (globalThis as Record<symbol, Set<string> | undefined>)[Symbol.for('tradepipe.mirrored')];
    const worker = new Worker(BOOTSTRAP, mirrored ? { workerData: { mirrored: [...mirrored] } } : {});
    worker.on('exit', () => this.all.delete(worker));
    this.all.add(worker);
    return worker;
  }

  private async callRegistry(worker: Worker, ctx: StepContext, id: number, method: string, args: unknown[]): Promise<void> {
    try {
      const registry = ctx.registry as unknown as Record<string, (...a: unknown[]) => Promise<unknown>> | undefined;
      if (!registry || typeof registry[method] !== 'function') throw new Error(`no registry method \`${method}\``);
      const value = await registry[method]!.call(ctx.registry, ...args);
      worker.postMessage({ type: 'registry-result', id, ok: true, value } satisfies ToWorker);
    } catch (error) {
      worker.postMessage({ type: 'registry-result', id, ok: false, message: error instanceof Error ? error.message : String(error) } satisfies ToWorker);
    }
  }
}
