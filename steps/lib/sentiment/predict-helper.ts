/**
 * Helper threads for inference. wasm runs on one thread in Node (tfjs finds no
 * multithread support without web workers), so `threads: 2` adds a worker thread with
 * its own wasm backend that takes batches from the same queue as the step's thread.
 * Each helper loads the encoder and adapter itself (~0.4 GB, a second or two), so
 * helpers start only when there are at least two batches per thread.
 */
import { Worker } from 'node:worker_threads';
import type { HelperData, HelperReply, HelperRequest } from './predict-worker.ts';
import type { BatchScorer } from './predict.ts';

export interface Helpers {
  readonly scorers: BatchScorer[];
  close(): Promise<void>;
}

async function startHelper(data: HelperData): Promise<{ scorer: BatchScorer; close(): Promise<void> }> {
  const worker = new Worker(new URL('./predict-worker.mjs', import.meta.url), { workerData: data });
  const pending = new Map<number, { resolve(v: Float32Array): void; reject(e: Error): void }>();
  let nextId = 0;
  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: HelperReply) => {
      worker.off('error', reject);
      if ('ready' in reply) resolve();
      else reject(new Error(`inference helper thread failed to start: ${'error' in reply ? reply.error : 'unexpected reply'}`));
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
  });
  worker.on('message', (reply: HelperReply) => {
    if (!('id' in reply)) return;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if ('values' in reply) waiting?.resolve(reply.values);
    else waiting?.reject(new Error(`inference helper thread: ${reply.error}`));
  });
  worker.on('error', (error) => {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  });
  return {
    scorer: {
      score(sequences) {
        const id = nextId++;
        return new Promise((resolve, reject) => {
          pending.set(id, { resolve, reject });
          worker.postMessage({ id, sequences: sequences as number[][] } satisfies HelperRequest);
        });
      },
    },
    async close() {
      worker.postMessage({ id: -1, close: true } satisfies HelperRequest);
      await worker.terminate();
    },
  };
}

/** `threads - 1` helpers when the work has at least two batches per thread; none otherwise. */
export async function startHelpers(threads: number, batches: number, data: HelperData): Promise<Helpers> {
  const count = batches >= 2 * threads ? threads - 1 : 0;
  const started = await Promise.all(Array.from({ length: count }, () => startHelper(data)));
  return {
    scorers: started.map((h) => h.scorer),
    close: async () => void (await Promise.all(started.map((h) => h.close()))),
  };
}
