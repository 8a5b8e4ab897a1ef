/**
 * Validation of where a step writes: every declared out and its `wdir` must stay
 * inside the project (confine.ts). A refusal is a positioned diagnostic with the
 * stable code E_OUTSIDE_PROJECT, pointing at the param that holds the path.
 */
import { confinementProblem, OUTSIDE_PROJECT } from './confine.ts';
import { diagnosticAt, isPlainObject, type Path, type Positions } from './yaml-source.ts';
import type { Diagnostic } from './errors.ts';

export interface WrittenPaths {
  outs?: readonly string[];
  wdir?: string;
}

/** Diagnostics for the outs and `wdir` of step `id` that would write outside `root`. */
export function outsideProjectDiagnostics(root: string, id: string, params: Record<string, unknown>, files: WrittenPaths, positions: Positions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = ['steps', id, 'with'];
  const check = (path: string, what: string) => {
    const why = confinementProblem(root, path, { folder: what === 'wdir' });
    if (!why) return;
    const where = positions.nearest([...at, ...(paramPathOf(params, path) ?? [])]);
    out.push({ ...diagnosticAt(where, 'out-outside-project', `${what} \`${path}\` must stay inside the project: ${why}`), tag: OUTSIDE_PROJECT });
  };
  for (const path of files.outs ?? []) check(path, 'out');
  if (files.wdir !== undefined) check(files.wdir, 'wdir');
  return out;
}

/** Where in the params a path came from (the first string equal to it), so the message points at it. */
function paramPathOf(value: unknown, wanted: string, path: Path = []): Path | undefined {
  if (value === wanted) return path;
  const children = Array.isArray(value) ? value.entries() : isPlainObject(value) ? Object.entries(value) : [];
  for (const [k, v] of children) {
    const hit = paramPathOf(v, wanted, [...path, k]);
    if (hit) return hit;
  }
  return undefined;
}
