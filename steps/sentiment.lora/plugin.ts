/**
 * `sentiment.lora`: LoRA fine-tuning of a pretrained BERT-family encoder for text
 * classification, with transformers + peft semantics, on tfjs. Writes the adapter in
 * peft's format (loadable with PeftModel.from_pretrained). See README.md.
 */
import { definePlugin, type ParamIssue } from '../../engine/sdk.ts';
import type { SentimentLoraParams } from './params.ts';
import schema from './params.schema.json' with { type: 'json' };

export default definePlugin<SentimentLoraParams>({
  name: 'sentiment.lora',
  cpu: true,
  version: '1',
  description: 'LoRA fine-tuning (peft semantics) of a BERT-family encoder for sentiment; outputs a peft adapter directory, the training curve and validation metrics.',
  paramsSchema: schema,
  inputs: {
    encoder: { description: 'the pretrained encoder directory (ingest.encoder)' },
    train: { description: 'labelled texts: `text_column` and `label_column`' },
    validation: { optional: true, description: 'labelled texts evaluated after every epoch' },
  },
  outputs: {
    model: { description: 'directory in peft format: adapter_config.json, adapter_model.safetensors, plus tradepipe.json (labels, max_length, encoder hash)' },
    curve: { description: 'step, epoch, loss, learning_rate per optimizer step; validation loss, accuracy, weighted_f1, macro_f1 at the end of each epoch' },
    metrics: { description: 'json: validation metrics after training (scikit-learn semantics), or the last training loss without validation' },
  },
  check(params) {
    const issues: ParamIssue[] = [];
    const labels: readonly string[] = params.labels ?? [];
    if (labels.includes('predicted') || labels.includes('true_label')) issues.push({ path: ['labels'], message: '`predicted` and `true_label` are column names sentiment.predict adds; rename the label' });
    return issues;
  },
  async run(ctx, params, inputs) {
    const { fineTune } = await import('./fine-tune.ts');
    return fineTune(ctx, params, inputs);
  },
});
