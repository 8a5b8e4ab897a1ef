/** The shipped sentiment configuration: hyperparameter and encoder blocks against their plugins' schemas and checks; the pipelines validate. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSchema } from '../../engine/schema/validate.ts';
import encoder from '../../steps/ingest.encoder/plugin.ts';
import lora from '../../steps/sentiment.lora/plugin.ts';
import { BIN, REPO } from '../helpers/project.ts';

const readYaml = (path: string) => parse(readFileSync(join(REPO, path), 'utf8')) as Record<string, Record<string, unknown>>;

test('hyperparameters/sentiment_lora.yaml: every block is valid sentiment.lora params', () => {
  const validate = compileSchema(lora.paramsSchema);
  for (const [name, block] of Object.entries(readYaml('hyperparameters/sentiment_lora.yaml'))) {
    const params = structuredClone(block);
    assert.ok(validate(params), `${name}: ${JSON.stringify(validate.errors)}`);
    assert.equal(lora.check!(params as never), [], name);
  }
  assert.not.ok(validate({ r: 0 }), 'a rank of 0 is caught');
  assert.not.ok(validate({ lora_rank: 8 }), 'an unknown hyperparameter is caught');
});

test('config/encoders.yaml: every block is valid ingest.encoder params', () => {
  const validate = compileSchema(encoder.paramsSchema);
  for (const [name, block] of Object.entries(readYaml('config/encoders.yaml'))) {
    const params = structuredClone(block);
    assert.ok(validate(params), `${name}: ${JSON.stringify(validate.errors)}`);
    assert.equal(encoder.check!(params as never), [], name);
  }
});

test('the sentiment pipelines validate', async () => {
  for (const file of ['pipelines.d/sentiment_finetune.yaml', 'pipelines.d/finsent_strategy.yaml']) {
    const result = await execa(BIN, ['validate', file], { cwd: REPO, reject: false, env: { NO_COLOR: '1' } });
    assert.is(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, `${file}: valid`);
  }
});

test.run();
