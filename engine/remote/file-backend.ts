/**
 * A `file://` remote: a folder (a shared mount). Blobs are written to `tmp/` and renamed
 * into place, so a reader never sees half of one; a conditional create is a hard link,
 * which fails if the name exists.
 */
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RemoteBackend, RemoteEntry } from './backend.ts';

const TMP = 'tmp';

export function fileBackend(dir: string, url: string): RemoteBackend {
  const pathOf = (key: string) => join(dir, ...key.split('/'));
  const tmpFile = async () => {
    await mkdir(join(dir, TMP), { recursive: true });
    return join(dir, TMP, `${process.pid}.${randomBytes(6).toString('hex')}`);
  };
  const statOf = async (key: string) => {
    try {
      const s = await stat(pathOf(key));
      return s.isFile() ? s : undefined;
    } catch {
      return undefined;
    }
  };

  async function* walk(abs: string): AsyncIterable<RemoteEntry> {
    if (!existsSync(abs)) return;
    for (const entry of await readdir(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) yield* walk(path);
      else if (entry.isFile()) {
        const s = await stat(path).catch(() => undefined);
        if (s) yield { key: relative(dir, path).split(sep).join('/'), size: s.size, modified: s.mtime };
      }
    }
  }

  return {
    url,
    async stat(key) {
      const s = await statOf(key);
      return s ? { size: s.size } : undefined;
    },
    async read(key, signal) {
      if (!(await statOf(key))) return undefined;
      return createReadStream(pathOf(key), { signal });
    },
    async upload(key, file, _size, signal) {
      const tmp = await tmpFile();
      try {
        await copyFile(file, tmp);
        signal?.throwIfAborted();
        await mkdir(dirname(pathOf(key)), { recursive: true });
        await rename(tmp, pathOf(key));
      } finally {
        await rm(tmp, { force: true });
      }
    },
    async create(key, body) {
      const tmp = await tmpFile();
      try {
        await writeFile(tmp, body);
        await mkdir(dirname(pathOf(key)), { recursive: true });
        await link(tmp, pathOf(key));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await rm(tmp, { force: true });
      }
    },
    list: (prefix) => walk(pathOf(prefix.replace(/\/$/, ''))),
    remove: (key) => rm(pathOf(key), { force: true }),
    async move(from, to) {
      await mkdir(dirname(pathOf(to)), { recursive: true });
      await rename(pathOf(from), pathOf(to));
    },
    async dropIncomplete(olderThan) {
      let dropped = 0;
      for await (const entry of walk(join(dir, TMP))) {
        if (entry.modified >= olderThan) continue;
        await rm(pathOf(entry.key), { force: true });
        dropped++;
      }
      return dropped;
    },
  };
}
