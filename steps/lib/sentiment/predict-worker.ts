/**
 * A helper thread for inference (see predict-helper.ts): its own wasm backend, the same
 * encoder and adapter loaded from disk and merged, answering one batch per message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../agent/backend.ts';
import { loadClassifier } from './classifier.ts';
import { readPeftModel } from './peft-io.ts';
import { scoreBatch } from './predict.ts';

export interface HelperData {
  encoderDir: string;
  modelDir: string;
}

export type HelperRequest = { id: number; sequences: number[][] } | { id: -1; close: true };
export type HelperReply = { ready: true } | { id: number; values: Float32Array } | { id: number; error: string };

export async function serve(): Promise<void> {
  const port = parentPort!;
  const { encoderDir, modelDir } = workerData as HelperData;
  let opened: Awaited<ReturnType<typeof loadClassifier>>;
  try {
    const { tf } = await initBackend('wasm');
    const saved = await readPeftModel(modelDir);
    opened = await loadClassifier(tf, encoderDir, { ...saved.settings, dropout: 0 }, saved.meta.labels.length, saved.values);
    const merged = opened.model.mergeAdapter();
    port.on('message', async (request: HelperRequest) => {
      if ('close' in request) {
        opened.dispose();
        port.close();
        return;
      }
      try {
        const values = await scoreBatch(tf, opened.model, merged, opened.tokenizer.padId, request.sequences);
        port.postMessage({ id: request.id, values } satisfies HelperReply, [values.buffer as ArrayBuffer]);
      } catch (error) {
        port.postMessage({ id: request.id, error: (error as Error).message } satisfies HelperReply);
      }
    });
    port.postMessage({ ready: true } satisfies HelperReply);
  } catch (error) {
    port.postMessage({ id: -1, error: (error as Error).message } satisfies HelperReply);
  }
}
