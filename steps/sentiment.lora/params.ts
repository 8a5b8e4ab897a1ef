/* Generated from steps/sentiment.lora/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * LoRA fine-tuning (peft semantics) of a BERT-family encoder for sequence classification, trained like the HF Trainer. Defaults follow FinGPT's sentiment LoRA (r 8, alpha 32, dropout 0.1 on query and value).
 */
export interface SentimentLoraParams {
  /**
   * Column holding the text to classify.
   */
  text_column?: string;
  /**
   * Column holding the true label (one of `labels`).
   */
  label_column?: string;
  /**
   * The classes, in class-index order (logit i scores labels[i]). Stored with the model.
   *
   * @minItems 2
   */
  labels?: [string, string, ...string[]];
  /**
   * LoRA rank (peft LoraConfig.r).
   */
  r?: number;
  /**
   * LoRA scaling numerator: the update is B·A·x · lora_alpha / r.
   */
  lora_alpha?: number;
  /**
   * Dropout on LoRA's input during training.
   */
  lora_dropout?: number;
  /**
   * Linear modules LoRA wraps, matched as peft does (a module path equal to, or ending in `.` + the name): query, key, value, dense, or longer suffixes such as attention.output.dense.
   *
   * @minItems 1
   */
  target_modules?: [string, ...string[]];
  /**
   * Tokens per text including [CLS] and [SEP]; longer texts are truncated (AutoTokenizer truncation=True).
   */
  max_length?: number;
  /**
   * Examples per optimizer step (per_device_train_batch_size).
   */
  batch_size?: number;
  /**
   * Passes over the training set (num_train_epochs).
   */
  epochs?: number;
  /**
   * Peak AdamW learning rate.
   */
  learning_rate?: number;
  /**
   * Share of the optimizer steps spent warming up linearly from 0; then linear decay to 0 (HF Trainer's linear schedule).
   */
  warmup_ratio?: number;
  /**
   * AdamW decoupled weight decay, on every trainable weight except biases (HF Trainer).
   */
  weight_decay?: number;
  /**
   * Global gradient norm clip (HF Trainer's max_grad_norm).
   */
  max_grad_norm?: number;
  /**
   * Seeds adapter init, shuffling and dropout. Same seed, data and device: bit-identical adapter weights.
   */
  seed?: number;
  /**
   * tfjs backend: `wasm` (default), `cpu` (pure JS), `webgpu` (needs a GPU adapter), `tfjs-node` (needs the optional @tensorflow/tfjs-node[-gpu]), `auto`. A backend that cannot start is an error, never a silent fallback.
   */
  device?: 'auto' | 'cpu' | 'wasm' | 'webgpu' | 'tfjs-node';
}
