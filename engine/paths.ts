/**
 * One rule for paths in params, for every plugin and for the engine's deps and outs.
 * A path a step reads (an input) may be relative to the project root or absolute (data
 * on another disk, like DVC's external dependencies): either way it is hashed into the
 * key. A path a step writes (an out) must lie inside the project, because the store
 * captures it and restores it on a cache hit.
 */
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';

/** Where a path param that a step reads points: absolute as written, relative against the project root. */
export function resolveInputPath(ctx: { readonly projectRoot: string }, path: string): string {
  return isAbsolute(path) ? normalize(path) : resolve(ctx.projectRoot, path);
}

/** Why `path` cannot be an out, or undefined when it can. */
export function outPathProblem(path: string): string | undefined {
  if (isAbsolute(path)) return `expected a path inside the project for an out, found the absolute path ${path} (only inputs may be absolute)`;
  if (normalize(path).split(/[\\/]/)[0] === '..') return `expected a path inside the project for an out, found ${path}`;
  return undefined;
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
