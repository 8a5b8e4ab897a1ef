/**
 * The pipelines the UI shows: the files given on the command line, else every YAML
 * file in `pipelines.d/`. Each request loads its pipeline afresh (the spec cache
 * makes that cheap), so an edit to a YAML file shows on the next reload.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInput, formatDiagnostic } from '../errors.ts';
import { loadPipeline, type Pipeline } from '../pipeline.ts';
import { projectRelative } from '../project.ts';

export interface CatalogueEntry {
  name: string;
  /** Project-relative. */
  file: string;
  steps: number;
  /** Why the file does not load, as the CLI would print it. */
  error?: string;
}

export class NotFound extends Error {}

export interface Catalogue {
  root: string;
  list(): Promise<CatalogueEntry[]>;
  /** The pipeline named `name` (its `pipeline:` name or its file), loaded now; NotFound or InvalidInput otherwise. */
  load(name: string): Promise<Pipeline>;
}

export function pipelineFiles(root: string, given: readonly string[]): string[] {
  if (given.length > 0) return given.map((f) => resolve(f));
  const dir = join(root, 'pipelines.d');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function loadError(error: unknown): string {
  if (error instanceof InvalidInput) return error.diagnostics.map((d) => formatDiagnostic(d, { color: false })).join('\n');
  return error instanceof Error ? error.message : String(error);
}

export function openCatalogue(root: string, files: readonly string[], overrides: readonly string[]): Catalogue {
  const names = new Map<string, string>();
  const load = async (file: string) => {
    const pipeline = await loadPipeline(file, { overrides });
    names.set(pipeline.name, file);
    return pipeline;
  };
  return {
    root,
    async list() {
      const out: CatalogueEntry[] = [];
      for (const file of files) {
        const rel = projectRelative(root, file);
        try {
          const p = await load(file);
          out.push({ name: p.name, file: rel, steps: p.steps.size });
        } catch (error) {
          out.push({ name: rel, file: rel, steps: 0, error: loadError(error) });
        }
      }
      return out;
    },
    async load(name) {
      if (!names.has(name)) await this.list();
      const file = names.get(name) ?? files.find((f) => projectRelative(root, f) === name);
      if (!file) throw new NotFound(`no pipeline \`${name}\`; pipelines: ${[...names.keys()].join(', ') || 'none'}`);
      return load(file);
    },
  };
}
