/**
 * The slice of the project's content-addressed store that tracking and the
 * filesystem registry need. The engine's store satisfies it; `fileContentStore`
 * is the stand-alone implementation used when none is passed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface ContentStore {
  /** Copies a file or directory into the store; resolves to its hash, `sha256:<hex>`. */
  put(path: string): Promise<string>;
  /** Where the object with this hash lives (it may not exist). */
  pathOf(hash: string): string;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Hash of a file's bytes, or of a directory's sorted (path, file hash) manifest. */
export async function contentHash(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isDirectory()) return `sha256:${await fileDigest(path)}`;
  const manifest = createHash('sha256');
  for (const file of await listFiles(path)) manifest.update(`${file}\0${await fileDigest(join(path, file))}\n`);
  return `sha256:${manifest.digest('hex')}`;
}

/** Total bytes of a file or of every file under a directory. */
export async function contentSize(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const file of await listFiles(path)) total += (await stat(join(path, file))).size;
  return total;
}

export function fileContentStore(root: string): ContentStore {
  const pathOf = (hash: string): string => join(root, hash.replace(/^sha256:/, '').slice(0, 2), hash.replace(/^sha256:/, ''));
  return {
    pathOf,
    async put(path: string): Promise<string> {
      const hash = await contentHash(path);
      const target = pathOf(hash);
      if (existsSync(target)) return hash;
      await mkdir(join(target, '..'), { recursive: true });
      const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
      await cp(path, tmp, { recursive: true });
      try {
        await rename(tmp, target);
      } catch (err) {
        // Another writer stored the same content first.
        await rm(tmp, { recursive: true, force: true });
        if (!existsSync(target)) throw err;
      }
      return hash;
    },
  };
}
