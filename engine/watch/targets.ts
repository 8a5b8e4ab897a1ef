/**
 * What watch mode watches for a pipeline, and what a changed path means for it.
 * Only inputs are watched: the YAML files read, file deps that no step writes, and
 * plugin sources. The store and every step's outs never are, so a run cannot
 * trigger itself.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CODE_FILE } from '../step-facts.ts';
import { projectPaths } from '../project.ts';
import type { Pipeline } from '../pipeline.ts';

export interface WatchTargets {
  /** Absolute paths whose changes matter: files, or folders (everything below them counts). */
  readonly tracked: ReadonlySet<string>;
  /** Shared code files (outside a plugin's folder) -> the plugin sources that import them. */
  readonly sharedCode: ReadonlyMap<string, ReadonlySet<string>>;
  /** Absolute paths never watched, nor anything below them. */
  readonly excluded: ReadonlySet<string>;
}

/**
 * The watch targets of the given steps (the ones a watch session may run). `codeFiles`
 * maps a plugin source to its module graph (engine/codegraph.ts), so an edit of shared
 * code in steps/lib/ reruns the steps whose plugins import it.
 */
export function watchTargets(pipeline: Pipeline, stepIds: Iterable<string>, codeFiles: ReadonlyMap<string, readonly string[]> = new Map()): WatchTargets {
  const outs = [...pipeline.steps.values()].flatMap((s) => s.outs);
  const tracked = new Set(pipeline.sources);
  const sharedCode = new Map<string, Set<string>>();
  for (const id of stepIds) {
    const step = pipeline.steps.get(id)!;
    tracked.add(step.plugin.source);
    for (const file of codeFiles.get(step.plugin.source) ?? []) {
      if (file === step.plugin.source || file.startsWith(step.plugin.source + '/')) continue;
      tracked.add(file);
      sharedCode.set(file, (sharedCode.get(file) ?? new Set()).add(step.plugin.source));
    }
    for (const dep of step.deps) {
      // A dep that is (inside) another step's out is produced by the pipeline, not edited by hand.
      if (!outs.some((out) => out === dep || dep.startsWith(out + '/'))) tracked.add(resolve(pipeline.root, dep));
    }
  }
  const excluded = new Set([projectPaths(pipeline.root).store, ...outs.map((out) => join(pipeline.root, out))]);
  return { tracked, excluded, sharedCode };
}

export function sameTargets(a: WatchTargets, b: WatchTargets): boolean {
  const same = (x: ReadonlySet<string>, y: ReadonlySet<string>) => x.size === y.size && [...x].every((p) => y.has(p));
  return same(a.tracked, b.tracked) && same(a.excluded, b.excluded);
}

/** The path and its ancestors, innermost first. */
function* upwards(path: string): Generator<string> {
  for (let p = path; ; p = dirname(p)) {
    yield p;
    if (dirname(p) === p) return;
  }
}

/**
 * Which paths a watcher must look at: a tracked path, something below a tracked
 * folder, or a folder on the way to a tracked path (so a dep that does not exist
 * yet is noticed when it appears).
 */
export function watchFilter(targets: WatchTargets): (path: string) => boolean {
  const onTheWay = new Set<string>();
  for (const t of targets.tracked) for (const p of upwards(dirname(t))) onTheWay.add(p);
  return (path) => {
    for (const p of upwards(path)) {
      if (targets.excluded.has(p)) return false;
      if (targets.tracked.has(p)) return true;
    }
    return onTheWay.has(path);
  };
}

/**
 * Folders to hand to the watcher: each tracked path's parent, or its nearest existing
 * ancestor. Watching parents rather than the files themselves survives editors that
 * save by rename and tools that delete and recreate files.
 */
export function watchRoots(targets: WatchTargets): string[] {
  const roots = new Set<string>();
  for (const t of targets.tracked) {
    let dir = dirname(t);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    roots.add(dir);
  }
  return [...roots];
}

/** What a set of changed paths means for a pipeline. */
export interface Impact {
  /** A YAML file of the pipeline changed: it must be reloaded. */
  yaml: boolean;
  /** Plugin sources whose code changed. */
  plugins: Set<string>;
  /** Steps whose own file deps changed. */
  steps: Set<string>;
  /** The paths that mattered, as given. */
  paths: string[];
}

/** Maps changed absolute paths to their meaning; paths that matter to nothing are dropped. */
export function impactOf(pipeline: Pipeline, targets: WatchTargets, paths: Iterable<string>): Impact {
  const excluded = (path: string) => [...upwards(path)].some((p) => targets.excluded.has(p));
  const sources = new Set(pipeline.sources);
  const pluginSources = new Set([...pipeline.steps.values()].map((s) => s.plugin.source));
  // Owners of each dep, and of each folder around a dep (a folder created or removed with the dep inside).
  const depOwners = new Map<string, Set<string>>();
  const aroundOwners = new Map<string, Set<string>>();
  const own = (index: Map<string, Set<string>>, path: string, id: string) => index.set(path, (index.get(path) ?? new Set()).add(id));
  for (const step of pipeline.steps.values()) {
    for (const dep of step.deps) {
      const abs = resolve(pipeline.root, dep);
      if (excluded(abs)) continue;
      own(depOwners, abs, step.id);
      for (const p of upwards(dirname(abs))) own(aroundOwners, p, step.id);
    }
  }
  const impact: Impact = { yaml: false, plugins: new Set(), steps: new Set(), paths: [] };
  for (const path of paths) {
    if (excluded(path)) continue;
    const hits = new Set(aroundOwners.get(path));
    let matters = sources.has(path);
    if (matters) impact.yaml = true;
    for (const p of upwards(path)) {
      for (const id of depOwners.get(p) ?? []) hits.add(id);
      // Inside a plugin folder only code counts, as in the code hash (a README edit reruns nothing).
      if (pluginSources.has(p) && (p === path || CODE_FILE.test(path))) {
        impact.plugins.add(p);
        matters = true;
      }
    }
    for (const source of targets.sharedCode.get(path) ?? []) {
      impact.plugins.add(source);
      matters = true;
    }
    for (const id of hits) impact.steps.add(id);
    if (matters || hits.size > 0) impact.paths.push(path);
  }
  return impact;
}
