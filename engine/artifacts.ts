/** Between plugin values and store objects: what `run` returns goes in, inputs come out. */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, relative } from 'node:path';
import { canonicalJson } from './hash.ts';
import type { Artifact, InputArtifact } from './plugin.ts';
import type { ArtifactRef, Store } from './store.ts';

export async function storeArtifact(store: Store, artifact: Artifact, scratchDir: string): Promise<ArtifactRef> {
  switch (artifact.kind) {
    case 'json': {
      const text = canonicalJson(artifact.value);
      return { kind: 'json', hash: await store.putBytes(text), size: Buffer.byteLength(text) };
    }
    case 'table': {
      const { toParquet } = await import('./table/parquet.ts');
      const bytes = await toParquet(artifact.table);
      return { kind: 'table', hash: await store.putBytes(bytes), size: bytes.byteLength };
    }
    case 'bytes':
      return { kind: 'bytes', hash: await store.putBytes(artifact.data), size: artifact.data.byteLength };
    case 'file':
    case 'dir': {
      if (!existsSync(artifact.path)) throw new Error(`returned ${artifact.kind} \`${artifact.path}\` does not exist`);
      const isDir = (await stat(artifact.path)).isDirectory();
      if (isDir !== (artifact.kind === 'dir')) throw new Error(`returned ${artifact.kind} \`${artifact.path}\` is ${isDir ? 'a directory' : 'a file'}`);
      // What the plugin wrote into its scratch dir is moved, not copied.
      const rel = relative(resolve(scratchDir), resolve(artifact.path));
      const move = !rel.startsWith('..');
      const put = isDir ? await store.putDir(artifact.path, { move }) : await store.putFile(artifact.path, { move });
      return { kind: artifact.kind, ...put };
    }
  }
}

export async function inputArtifact(store: Store, ref: ArtifactRef): Promise<InputArtifact> {
  const path = ref.kind === 'dir' ? await store.materialize(ref.hash) : store.objectPath(ref.hash);
  const bytes = () => store.readBytes(ref.hash);
  return {
    kind: ref.kind,
    hash: ref.hash,
    path,
    bytes,
    async json<T>() {
      return JSON.parse(new TextDecoder().decode(await bytes())) as T;
    },
    async table() {
      if (ref.kind !== 'table') throw new Error(`input is a ${ref.kind}, not a table`);
      const { fromParquet } = await import('./table/parquet.ts');
      return fromParquet(await bytes());
    },
  };
}
