/**
 * Which pipeline files a scheduler reads: the ones named, or every top-level YAML
 * file in the project's `pipelines.d/` (fragments below it are not pipelines).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findProjectRoot } from '../project.ts';

export interface ScheduleFiles {
  root: string;
  /** The folder whose top-level YAML files are pipelines, when no files were named. */
  folder?: string;
  /** Absolute pipeline files now. */
  list(): string[];
  /** Whether a path (absolute) is one of the pipeline files this set can hold. */
  holds(path: string): boolean;
}

export const PIPELINES_DIR = 'pipelines.d';

export function scheduleFiles(named: readonly string[], cwd: string): ScheduleFiles {
  if (named.length > 0) {
    const files = named.map((f) => resolve(cwd, f));
    const root = findProjectRoot(files[0]!);
    const other = files.find((f) => findProjectRoot(f) !== root);
    if (other) throw new Error(`${other} is in another project than ${files[0]}; run one scheduler per project`);
    return { root, list: () => files, holds: (path) => files.includes(path) };
  }
  const root = findProjectRoot(join(cwd, PIPELINES_DIR, 'pipeline.yaml'));
  const folder = join(root, PIPELINES_DIR);
  const isPipeline = (name: string) => /\.ya?ml$/.test(name);
  return {
    root,
    folder,
    list: () => (existsSync(folder) ? readdirSync(folder, { withFileTypes: true }).filter((d) => d.isFile() && isPipeline(d.name)).map((d) => join(folder, d.name)).sort() : []),
    holds: (path) => dirname(path) === folder && isPipeline(path),
  };
}
