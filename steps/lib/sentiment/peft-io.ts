/**
 * The `model` directory in peft's format, so `PeftModel.from_pretrained(base, dir)`
 * loads it: `adapter_config.json` (LoraConfig fields), `adapter_model.safetensors`
 * (peft's key names and torch layouts: lora_A [r, in], lora_B [out, r], classifier
 * [labels, hidden]), plus our `tradepipe.json` (label order, max_length, encoder hash).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../engine/sdk.ts';
import { parseSafetensors, serializeSafetensors, type F32Tensor } from '../encoder/safetensors.ts';
import { CLASSIFIER_BIAS, CLASSIFIER_WEIGHT, loraKey, type Adapter, type AdapterValues, type LoraSettings } from './lora.ts';

export interface ModelMeta {
  /** Class index order: logits[i] is the score of labels[i]. */
  labels: string[];
  max_length: number;
  /** Content hash of the encoder directory the adapter was trained on. */
  encoder_hash: string;
  /** Text column the model was trained on (predict's default). */
  text_column: string;
}

/** peft's modules_to_save for SEQ_CLS: whichever head the model has (`classifier` for BERT). */
const MODULES_TO_SAVE = ['classifier', 'score'];

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

export async function writePeftModel(dir: string, adapter: Adapter, meta: ModelMeta): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, F32Tensor>();
  for (const { name, variable, transposed } of adapter.variables) {
    const data = (await variable.data()) as Float32Array;
    if (!transposed) tensors.set(name, { shape: variable.shape, data });
    else {
      const [rows, cols] = variable.shape as [number, number];
      tensors.set(name, { shape: [cols, rows], data: transpose(data, rows, cols) });
    }
  }
  const { settings } = adapter;
  const config = {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    base_model_name_or_path: null,
    r: settings.r,
    lora_alpha: settings.alpha,
    lora_dropout: settings.dropout,
    target_modules: [...settings.targetModules],
    modules_to_save: MODULES_TO_SAVE,
    bias: 'none',
    fan_in_fan_out: false,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    inference_mode: true,
  };
  await writeFileAtomic(join(dir, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'adapter_model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
  await writeFileAtomic(join(dir, 'tradepipe.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

export interface PeftModelFiles {
  settings: LoraSettings;
  values: AdapterValues;
  meta: ModelMeta;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing (not a sentiment.lora model directory)' : (error as Error).message}`);
  }
}

/** Reads a peft LoRA SEQ_CLS directory (ours, or one peft saved) back into the transposed layouts. */
export async function readPeftModel(dir: string): Promise<PeftModelFiles> {
  const configPath = join(dir, 'adapter_config.json');
  const config = await readJson(configPath);
  if (config.peft_type !== 'LORA' || config.task_type !== 'SEQ_CLS') {
    throw new Error(`${configPath}: expected peft_type LORA and task_type SEQ_CLS, found ${config.peft_type} / ${config.task_type}`);
  }
  if (config.use_dora === true || config.use_rslora === true) throw new Error(`${configPath}: DoRA and rsLoRA adapters are not supported`);
  const targets = config.target_modules;
  const settings: LoraSettings = {
    r: Number(config.r),
    alpha: Number(config.lora_alpha),
    dropout: Number(config.lora_dropout ?? 0),
    targetModules: typeof targets === 'string' ? [targets] : (targets as string[]),
  };
  const metaPath = join(dir, 'tradepipe.json');
  const meta = (await readJson(metaPath)) as unknown as ModelMeta;
  if (!Array.isArray(meta.labels) || meta.labels.length < 2 || typeof meta.max_length !== 'number' || typeof meta.encoder_hash !== 'string') {
    throw new Error(`${metaPath}: expected labels (at least two), max_length and encoder_hash, as sentiment.lora writes them`);
  }
  const weightsPath = join(dir, 'adapter_model.safetensors');
  return { settings, values: adapterValues(parseSafetensors(await readFile(weightsPath), weightsPath), weightsPath), meta };
}

/** Adapter weights from peft's tensors (its key names and torch layouts); `source` names the file in messages. */
export function adapterValues(tensors: ReadonlyMap<string, F32Tensor>, source: string): AdapterValues {
  const take = (name: string): F32Tensor => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`${source}: no tensor ${name}`);
    return t;
  };
  const lora = new Map<string, { a: Float32Array; b: Float32Array }>();
  for (const name of tensors.keys()) {
    const match = /^base_model\.model\.(.+)\.lora_A\.weight$/.exec(name);
    if (!match) continue;
    const path = match[1]!;
    const a = take(loraKey(path, 'A'));
    const b = take(loraKey(path, 'B'));
    lora.set(path, { a: transpose(a.data, a.shape[0]!, a.shape[1]!), b: transpose(b.data, b.shape[0]!, b.shape[1]!) });
  }
  const weight = take(CLASSIFIER_WEIGHT);
  return { lora, classifierWeight: transpose(weight.data, weight.shape[0]!, weight.shape[1]!), classifierBias: take(CLASSIFIER_BIAS).data };
}
