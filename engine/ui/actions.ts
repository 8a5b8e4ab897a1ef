/**
 * `--allow-run`: the page may start `tradepipe run` for a pipeline or a step, with
 * `--set` overrides. The run is an ordinary CLI process: it takes the project lock and
 * reports through the event stream like any other run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRelative } from '../project.ts';
import type { Pipeline } from '../pipeline.ts';

export interface RunRequest {
  pipeline: string;
  steps?: string[];
  set?: string[];
}

export class BadRequest extends Error {}

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tradepipe');
const OVERRIDE = /^[^=\s]+=/;

export function parseRunRequest(body: unknown): RunRequest {
  const b = body as Partial<RunRequest> | null;
  if (!b || typeof b !== 'object' || typeof b.pipeline !== 'string') throw new BadRequest('expected {"pipeline": string, "steps"?: string[], "set"?: string[]}');
  const strings = (v: unknown, field: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new BadRequest(`\`${field}\`: expected an array of strings`);
    return v as string[];
  };
  const set = strings(b.set, 'set');
  const bad = set.find((s) => !OVERRIDE.test(s));
  if (bad !== undefined) throw new BadRequest(`\`set\`: expected \`step.param=value\`, got ${JSON.stringify(bad)}`);
  return { pipeline: b.pipeline, steps: strings(b.steps, 'steps'), set };
}

/** Starts the run detached from the server (stopping the UI does not stop it); returns its process id. */
export function startRun(pipeline: Pipeline, request: RunRequest): number {
  const unknown = (request.steps ?? []).filter((s) => !pipeline.steps.has(s));
  if (unknown.length > 0) throw new BadRequest(`unknown step ${unknown.map((s) => `\`${s}\``).join(', ')} in ${pipeline.name}`);
  const args = ['run', projectRelative(pipeline.root, pipeline.file), ...(request.steps ?? []), ...(request.set ?? []).flatMap((s) => ['--set', s])];
  const child = spawn(BIN, args, { cwd: pipeline.root, detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid ?? -1;
}
