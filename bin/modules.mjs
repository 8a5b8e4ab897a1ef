// How the CLI process (and its plugin worker threads) import TypeScript: an engine or built-in plugin source from
// the mirror (bin/compiled.mjs), other TypeScript from its transpiled copy (bin/user-modules.mjs), and what
// neither can serve through module hooks, registered only when first needed.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mirrorPath } from './compiled.mjs';

/** `mirrored`: the source paths the mirror holds (prepareMirror); empty when it could not be written. */
export function moduleImporter(mirrored) {
  // Looked up per import (a few per process), not mapped up front: ~350 URL conversions cost 15 ms on every start.
  const mirrorUrl = (url) => {
    const path = url.startsWith('file:') ? fileURLToPath(url) : undefined;
    return path !== undefined && mirrored.has(path) ? pathToFileURL(mirrorPath(path)).href : undefined;
  };
  let hooks;
  return async (url) => {
    const mirror = mirrorUrl(url);
    if (mirror !== undefined) return import(mirror);
    const copy = mirrored.size > 0 ? await import('./user-modules.mjs').then(({ userModuleUrl }) => userModuleUrl(url, mirrored)) : undefined;
    if (copy !== undefined) return import(copy);
    hooks ??= import('./typescript.mjs').then(({ registerTypeScript }) => registerTypeScript([...mirrored].map((source) => [pathToFileURL(source).href, pathToFileURL(mirrorPath(source)).href])));
    await hooks;
    return import(url);
  };
}
