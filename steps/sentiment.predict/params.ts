/* Generated from steps/sentiment.predict/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * Class probabilities of a sentiment.lora model for each row of a table.
 */
export interface SentimentPredictParams {
  /**
   * Column holding the text; default the column the model was trained on.
   */
  text_column?: string;
  /**
   * Texts per forward pass; each batch is padded to its longest text.
   */
  batch_size?: number;
  /**
   * Threads scoring batches: this one plus `threads - 1` worker threads, each with its own wasm backend and a copy of the model (~0.4 GB); used when there are at least two batches per thread, on wasm only. Results do not depend on it.
   */
  threads?: number;
  /**
   * tfjs backend: `wasm` (default), `cpu`, `webgpu`, `tfjs-node`, `auto`; a backend that cannot start is an error.
   */
  device?: 'auto' | 'cpu' | 'wasm' | 'webgpu' | 'tfjs-node';
  /**
   * A registered model (`models:/finsent@champion`, `models:/finsent/3`), resolved at plan time into the cache key, instead of the `model` input.
   */
  model?: string;
}
