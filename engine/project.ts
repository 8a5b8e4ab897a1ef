/** Where a project's root, store and state live. Never in the global home. */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute, sep } from 'node:path';

/** The nearest folder holding `tradepipe.yaml` or `package.json`, else the pipeline file's folder. */
export function findProjectRoot(pipelineFile: string): string {
  const start = dirname(resolve(pipelineFile));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tradepipe.yaml')) || existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

export interface ProjectPaths {
  root: string;
  store: string;
  objects: string;
  records: string;
  steps: string;
  /** Per pipeline, every step's pointer and current record in one file (records.ts). */
  snapshots: string;
  runs: string;
  tmp: string;
  /** Per-step folders kept across runs (StepContext.stateDir). */
  state: string;
  checkouts: string;
  corrupt: string;
  statCache: string;
  codeGraph: string;
  lock: string;
}

export function projectPaths(root: string): ProjectPaths {
  const store = join(root, '.tradepipe');
  return {
    root,
    store,
    objects: join(store, 'objects'),
    records: join(store, 'records'),
    steps: join(store, 'steps'),
    snapshots: join(store, 'snapshots'),
    runs: join(store, 'runs'),
    tmp: join(store, 'tmp'),
    state: join(store, 'state'),
    checkouts: join(store, 'checkouts'),
    corrupt: join(store, 'corrupt'),
    statCache: join(store, 'statcache.json'),
    codeGraph: join(store, 'codegraph.json'),
    lock: join(store, 'lock'),
  };
}

/** A project-relative path with forward slashes, as written in pipelines and shown to users. */
export function projectRelative(root: string, path: string): string {
  const abs = isAbsolute(path) ? path : resolve(root, path);
  return relative(root, abs).split(sep).join('/');
}

/** How a path is shown in messages: relative to the working directory when inside it. */
export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs;
}
