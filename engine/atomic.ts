/** Writes that never leave a half-written file: write a sibling temp file, fsync, rename. */
import { open, rename, mkdir } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { uniqueSuffix } from './temp-name.ts';
import { guardWrite } from './write-errors.ts';

/** A full or read-only disk throws a WriteFailed naming `path`; the temp file is removed and `path` keeps its old content. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${uniqueSuffix()}.tmp`);
  await guardWrite(path, async () => {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  }, [tmp]);
}
