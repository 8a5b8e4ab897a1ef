/** `path`: copy a local Hugging Face folder's model and tokenizer files. */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInputPath } from '../../../engine/sdk.ts';
import { OPTIONAL_FILES, REQUIRED_FILES, checkEncoderFolder } from '../../lib/encoder/folder.ts';
import type { EncoderSource } from './source.ts';

const fromPath: EncoderSource = async (ctx, params, dir) => {
  const folder = resolveInputPath(ctx, params.path!);
  await checkEncoderFolder(folder, `path ${params.path}`);
  for (const file of REQUIRED_FILES) await copyFile(join(folder, file), join(dir, file));
  for (const file of OPTIONAL_FILES) {
    await copyFile(join(folder, file), join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
};
export default fromPath;
