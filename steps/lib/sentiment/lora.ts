/**
 * The trainable part, as peft builds it for SEQ_CLS: a LoRA pair on each Linear whose
 * module path matches `target_modules` (peft's rule: the path equals a target or ends
 * with `.target`), and the classifier trained in full (`modules_to_save`).
 *
 * Layouts are transposed against torch (A: [in, r], B: [r, out], classifier [hidden,
 * labels]) so the forward pass is plain matmuls; peft-io.ts transposes at the border.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tf } from '../agent/backend.ts';
import type { EncoderWeights } from './encoder-weights.ts';
import type { Draws } from '../random.ts';

export interface LoraSettings {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly targetModules: readonly string[];
}

export interface LoraPair {
  readonly a: TfCore.Variable<TfCore.Rank.R2>;
  readonly b: TfCore.Variable<TfCore.Rank.R2>;
}

export interface Adapter {
  readonly settings: LoraSettings;
  /** alpha / r, as peft's LoraLayer.scaling. */
  readonly scaling: number;
  /** By module path, in the encoder's layer order. */
  readonly lora: ReadonlyMap<string, LoraPair>;
  readonly classifier: { readonly weight: TfCore.Variable<TfCore.Rank.R2>; readonly bias: TfCore.Variable<TfCore.Rank.R1> };
  /** Every trainable variable with its peft name (for the optimizer and the export). */
  readonly variables: readonly NamedVariable[];
  dispose(): void;
}

export interface NamedVariable {
  /** The key in peft's adapter_model.safetensors. */
  readonly name: string;
  readonly variable: TfCore.Variable;
  /** HF Trainer decays every weight except biases and LayerNorm weights. */
  readonly decay: boolean;
  /** The variable is the transpose of peft's tensor. */
  readonly transposed: boolean;
}

/** Module paths the adapter wraps, as peft matches `target_modules`. */
export function matchTargets(paths: Iterable<string>, targets: readonly string[]): string[] {
  return [...paths].filter((path) => targets.some((t) => path === t || path.endsWith(`.${t}`)));
}

export const loraKey = (path: string, which: 'A' | 'B') => `base_model.model.${path}.lora_${which}.weight`;
export const CLASSIFIER_WEIGHT = 'base_model.model.classifier.weight';
export const CLASSIFIER_BIAS = 'base_model.model.classifier.bias';

/** Initial values as given (from a saved adapter or a reference), in the transposed layouts. */
export interface AdapterValues {
  lora: Map<string, { a: Float32Array; b: Float32Array }>;
  classifierWeight: Float32Array;
  classifierBias: Float32Array;
}

/**
 * peft's init: lora_A Kaiming-uniform with a = √5 (uniform in ±1/√in), lora_B zeros;
 * the classifier as BertPreTrainedModel._init_weights (normal, std initializer_range; bias 0).
 */
export function initialAdapterValues(encoder: EncoderWeights, settings: LoraSettings, labels: number, random: Draws, initializerRange: number): AdapterValues {
  const hidden = encoder.config.hidden_size;
  const lora = new Map<string, { a: Float32Array; b: Float32Array }>();
  for (const path of matchTargets(encoder.linears.keys(), settings.targetModules)) {
    const [inputs, outputs] = encoder.linears.get(path)!.weight.shape;
    const bound = 1 / Math.sqrt(inputs);
    const a = new Float32Array(inputs * settings.r);
    for (let i = 0; i < a.length; i++) a[i] = (random.uniform() * 2 - 1) * bound;
    lora.set(path, { a, b: new Float32Array(settings.r * outputs) });
  }
  const classifierWeight = new Float32Array(hidden * labels);
  for (let i = 0; i < classifierWeight.length; i++) classifierWeight[i] = random.normal() * initializerRange;
  return { lora, classifierWeight, classifierBias: new Float32Array(labels) };
}

/** Variables keep tfjs's unique auto names: two adapters may live in one process. */
export function createAdapter(tf: Tf, encoder: EncoderWeights, settings: LoraSettings, labels: number, values: AdapterValues): Adapter {
  const hidden = encoder.config.hidden_size;
  const lora = new Map<string, LoraPair>();
  const variables: NamedVariable[] = [];
  const paths = matchTargets(encoder.linears.keys(), settings.targetModules);
  if (paths.length === 0) throw new Error(`target_modules ${JSON.stringify(settings.targetModules)} match no Linear of the encoder`);
  for (const path of paths) {
    const given = values.lora.get(path);
    if (given === undefined) throw new Error(`no LoRA weights for ${path}`);
    const [inputs, outputs] = encoder.linears.get(path)!.weight.shape;
    const a = tf.variable(tf.tensor2d(given.a, [inputs, settings.r]));
    const b = tf.variable(tf.tensor2d(given.b, [settings.r, outputs]));
    lora.set(path, { a, b });
    variables.push({ name: loraKey(path, 'A'), variable: a, decay: true, transposed: true });
    variables.push({ name: loraKey(path, 'B'), variable: b, decay: true, transposed: true });
  }
  const weight = tf.variable(tf.tensor2d(values.classifierWeight, [hidden, labels]));
  const bias = tf.variable(tf.tensor1d(values.classifierBias));
  variables.push({ name: CLASSIFIER_WEIGHT, variable: weight, decay: true, transposed: true });
  variables.push({ name: CLASSIFIER_BIAS, variable: bias, decay: false, transposed: false });
  return {
    settings,
    scaling: settings.alpha / settings.r,
    lora,
    classifier: { weight, bias },
    variables,
    dispose: () => tf.dispose(variables.map((v) => v.variable)),
  };
}
