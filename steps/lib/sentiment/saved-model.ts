/** A trained `model` directory (sentiment.lora's output) opened on its encoder, for predict and evaluate. */
import type { InputArtifact, StepContext } from '../../../engine/sdk.ts';
import { initBackend, type Device, type Tf } from '../agent/backend.ts';
import { loadClassifier, type LoadedClassifier } from './classifier.ts';
import { readPeftModel, type ModelMeta } from './peft-io.ts';

export interface OpenedModel extends LoadedClassifier {
  readonly meta: ModelMeta;
  readonly tf: Tf;
  /** The tfjs backend in use (helper threads exist for `wasm` only). */
  readonly backend: string;
  /** Where the model and encoder were read from (helper threads read them again). */
  readonly modelDir: string;
  readonly encoderDir: string;
}

/** The model directory: the `model` param (a registry URI the engine resolved to a local path) or the `model` input. */
export function modelDir(param: string | undefined, input: InputArtifact | undefined): string {
  if (param !== undefined && input !== undefined) throw new Error('set either the `model` param or the `model` input, not both');
  const dir = param ?? input?.path;
  if (dir === undefined) throw new Error('no model: connect the `model` input (sentiment.lora\'s model) or set `model: models:/<name>@<alias>`');
  return dir;
}

export async function openSavedModel(ctx: StepContext, device: Device, model: string, encoder: InputArtifact): Promise<OpenedModel> {
  const saved = await readPeftModel(model);
  if (saved.meta.encoder_hash !== encoder.hash) {
    throw new Error(`input \`model\` was trained on encoder ${saved.meta.encoder_hash}, but input \`encoder\` is ${encoder.hash}: connect the encoder the adapter was trained on`);
  }
  const backend = await initBackend(device);
  ctx.track.tag('tfjs_backend', backend.name);
  ctx.log.info(`tfjs backend: ${backend.name} (${backend.provider})`);
  const classifier = await loadClassifier(backend.tf, encoder.path, { ...saved.settings, dropout: 0 }, saved.meta.labels.length, saved.values);
  return { ...classifier, meta: saved.meta, tf: backend.tf, backend: backend.name, modelDir: model, encoderDir: encoder.path };
}
