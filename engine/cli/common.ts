/** What every command shares: loading a pipeline, printing diagnostics, exit codes. */
import { InvalidInput, formatDiagnostic } from '../errors.ts';
import { loadPipeline, type Pipeline } from '../pipeline.ts';
import { EXIT, Exit } from './exit.ts';

export { EXIT, Exit, collect } from './exit.ts';

export function printInvalid(error: InvalidInput): void {
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  for (const d of error.diagnostics) process.stderr.write(`${color ? '\x1b[31merror\x1b[39m' : 'error'}: ${formatDiagnostic(d, { color })}\n`);
}

export async function load(file: string, overrides: readonly string[] = []): Promise<Pipeline> {
  try {
    return await loadPipeline(file, { overrides });
  } catch (error) {
    if (error instanceof InvalidInput) {
      printInvalid(error);
      throw new Exit(EXIT.invalid);
    }
    throw error;
  }
}

/** Checks that CLI-named steps exist; an unknown one is invalid input. */
export function checkStepNames(pipeline: Pipeline, names: readonly (string | undefined)[], flag: string): void {
  for (const name of names) {
    if (name !== undefined && !pipeline.steps.has(name)) {
      process.stderr.write(`error: ${flag}: unknown step \`${name}\` in ${pipeline.name}; steps: ${[...pipeline.steps.keys()].join(', ')}\n`);
      throw new Exit(EXIT.invalid);
    }
  }
}
