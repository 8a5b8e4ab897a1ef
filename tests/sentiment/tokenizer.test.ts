/** Token ids equal transformers' AutoTokenizer on a few hundred sentences, with truncation. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTokenizer } from '../../steps/lib/encoder/tokenizer.ts';
import { paritySentences } from './sentences.ts';
import { encoderOrSkip, reference, torchPythonOrSkip } from './support.ts';

test('ids equal AutoTokenizer (truncation=True, max_length 16 and 64)', async () => {
  const encoder = await encoderOrSkip('sentiment/tokenizer parity');
  const python = torchPythonOrSkip('sentiment/tokenizer parity');
  if (!encoder || !python) return;
  const sentences = paritySentences();
  assert.ok(sentences.length >= 300, `${sentences.length} sentences`);
  const tokenizer = await loadTokenizer(encoder);
  const expected = await reference<{ ids: Record<string, number[][]> }>(python, 'tokenize', { encoder, sentences, max_lengths: [16, 64] });
  for (const maxLength of [16, 64]) {
    const ids = expected.ids[String(maxLength)]!;
    sentences.forEach((sentence, i) => assert.equal(tokenizer.encode(sentence, maxLength), ids[i], `max_length ${maxLength}: ${JSON.stringify(sentence)}`));
  }
});

test.run();
