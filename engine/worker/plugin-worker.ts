/**
 * The worker side: loads a plugin by its module path and runs it with a StepContext whose
 * effects are forwarded to the engine. One step at a time per worker; the plugin module
 * stays loaded for the worker's next step (tfjs and wasm initialise once per worker).
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { importPlugin } from '../plugin-loader.ts';
import type { InputArtifact, StepContext, StepModelRegistry, Tracker } from '../plugin.ts';
import { openSecrets } from '../secrets.ts';
import type { FromWorker, InputRef, ToWorker } from './protocol.ts';

const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);

let abort: AbortController | undefined;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextCall = 0;

function input(ref: InputRef): InputArtifact {
  const bytes = async () => {
    const data = await readFile(ref.path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  };
  return {
    ...ref,
    bytes,
    async json<T>() {
      return JSON.parse(new TextDecoder().decode(await bytes())) as T;
    },
    async table() {
      if (ref.kind !== 'table') throw new Error(`input is a ${ref.kind}, not a table`);
      const { fromParquet } = await import('../table/parquet.ts');
      return fromParquet(await bytes());
    },
  };
}

const call = (method: string, args: unknown[]) =>
  new Promise<unknown>((resolve, reject) => {
    const id = nextCall++;
    pending.set(id, { resolve, reject });
    send({ type: 'registry', id, method, args });
  });

const REGISTRY_METHODS = [
  'getVersion',
  'getVersionByAlias',
  'findVersionByHash',
  'createVersion',
  'setVersionTag',
  'setAlias',
  'publishArtifact',
  'runMetrics',
] as const;

async function run(job: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  abort = new AbortController();
  const secrets = openSecrets(job.ctx.projectRoot, job.secretEnv);
  const log = (level: 'info' | 'warn' | 'debug') => (message: string) => send({ type: 'log', level, message });
  const track =
    (method: 'params' | 'metric' | 'tag' | 'artifact') =>
    (...args: unknown[]) =>
      send({ type: 'track', method, args });
  const registry =
    job.ctx.registry !== undefined
      ? ({
          description: job.ctx.registry,
          ...Object.fromEntries(REGISTRY_METHODS.map((m) => [m, (...args: unknown[]) => call(m, args)])),
        } as unknown as StepModelRegistry)
      : undefined;
  const ctx: StepContext = {
    stepId: job.ctx.stepId,
    projectRoot: job.ctx.projectRoot,
    scratchDir: job.ctx.scratchDir,
    signal: abort.signal,
    log: { info: log('info'), warn: log('warn'), debug: log('debug') },
    track: { params: track('params'), metric: track('metric'), tag: track('tag'), artifact: track('artifact') } as Tracker,
    env: job.ctx.env,
    secret(name) {
      // The engine hands out the same value, so it masks it in everything it prints.
      send({ type: 'secret', name });
      return secrets.get(name);
    },
    progress: (fraction, message) => send({ type: 'progress', fraction, ...(message === undefined ? {} : { message }) }),
    ...(job.ctx.run ? { run: job.ctx.run } : {}),
    ...(registry ? { registry } : {}),
  };
  try {
    const plugin = await importPlugin(job.entry);
    const inputs = Object.fromEntries(Object.entries(job.inputs).map(([name, ref]) => [name, input(ref)]));
    const outputs = await plugin.run(ctx, job.params, inputs);
    send({ type: 'done', outputs });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error), aborted: abort.signal.aborted });
  } finally {
    abort = undefined;
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run':
      void run(message);
      break;
    case 'abort':
      abort?.abort(new Error(message.reason));
      break;
    case 'registry-result': {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(new Error(message.message));
      break;
    }
  }
});
