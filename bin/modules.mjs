// How the CLI process (and its plugin worker threads) import TypeScript: an engine or built-in plugin source from
// the mirror (bin/compiled.mjs), other TypeScript from its transpiled copy (bin/user-modules.mjs), and what
// neither can serve through module hooks, registered only when first needed.
import { pathToFileURL } from 'node:url';
import { mirrorPath } from './compiled.mjs';

/** `mirrored`: the source paths the mirror holds (prepareMirror); empty when it could not be written. */
export function moduleImporter(mirrored) {
  const redirect = new Map([...mirrored].map((source) => [pathToFileURL(source).href, pathToFileURL(mirrorPath(source)).href]));
  let hooks;
  return async (url) => {
    const mirror = redirect.get(url);
    if (mirror !== undefined) return import(mirror);
    const copy = mirrored.size > 0 ? await import('./user-modules.mjs').then(({ userModuleUrl }) => userModuleUrl(url, mirrored)) : undefined;
    if (copy !== undefined) return import(copy);
    hooks ??= import('./typescript.mjs').then(({ registerTypeScript }) => registerTypeScript([...redirect]));
    await hooks;
    return import(url);
  };
}
