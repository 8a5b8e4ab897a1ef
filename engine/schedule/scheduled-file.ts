/** A pipeline file as the scheduler sees it: without plugins, so watching many files stays light. */
import { resolve } from 'node:path';
import { InvalidInput } from '../errors.ts';
import { resolveSpec } from '../pipeline.ts';
import { findProjectRoot } from '../project.ts';
import { scheduleDiagnostics, toSchedule, type Schedule } from './definition.ts';

export interface ScheduledFile {
  readonly name: string;
  readonly file: string;
  readonly root: string;
  /** Every YAML file read: the pipeline and what it references. */
  readonly sources: readonly string[];
  readonly schedule?: Schedule;
}

/** Reads and checks a pipeline file up to its steps' params (YAML, schema, includes, vars, `schedule:`). */
export function readScheduledFile(file: string): ScheduledFile {
  const abs = resolve(file);
  const root = findProjectRoot(abs);
  const { spec, positions, schedule } = resolveSpec(abs, root, []);
  if (!schedule) return { name: spec.name, file: abs, root, sources: spec.sources };
  const diagnostics = scheduleDiagnostics(schedule, Object.keys(spec.steps), positions);
  if (diagnostics.length > 0) throw new InvalidInput(diagnostics);
  return { name: spec.name, file: abs, root, sources: spec.sources, schedule: toSchedule(schedule) };
}
