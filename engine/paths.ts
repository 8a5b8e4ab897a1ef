/**
 * One rule for paths that steps read, for every plugin and for the engine's deps. A path a
 * step reads (an input) may be relative to the project root or absolute (data on another
 * disk, like DVC's external dependencies): either way it is hashed into the key. Writes
 * are confined to the project (confine.ts).
 */
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';

/** Where a path param that a step reads points: absolute as written, relative against the project root. */
export function resolveInputPath(ctx: { readonly projectRoot: string }, path: string): string {
  return isAbsolute(path) ? normalize(path) : resolve(ctx.projectRoot, path);
}

/**
 * A declared dep as the key and messages name it: project-relative (forward slashes) inside
 * the project, absolute outside it, so a key does not depend on where the project lies.
 */
export function depPath(root: string, path: string): string {
  const abs = resolve(root, path);
  const rel = relative(root, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel.split(sep).join('/');
}
