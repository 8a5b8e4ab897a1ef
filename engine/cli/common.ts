/** What every command shares: loading a pipeline, printing diagnostics, exit codes. */
import { type Diagnostic, diagnosticLabel, formatDiagnostic, InvalidInput, isError } from '../errors.ts';
import { loadPipeline, type Pipeline } from '../pipeline.ts';
import { EXIT, Exit } from './exit.ts';

export { EXIT, Exit, collect } from './exit.ts';

/** `error TP0102: p.yaml:4:21: unknown param ...` (warnings alike), one per diagnostic, to stderr. */
export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  for (const d of diagnostics) {
    const label = diagnosticLabel(d);
    const paint = isError(d) ? '\x1b[31m' : '\x1b[33m';
    process.stderr.write(`${color ? `${paint}${label}\x1b[39m` : label}: ${formatDiagnostic(d, { color })}\n`);
  }
}

export function printInvalid(error: InvalidInput): void {
  printDiagnostics(error.diagnostics);
}

export async function load(file: string, overrides: readonly string[] = []): Promise<Pipeline> {
  try {
    const pipeline = await loadPipeline(file, { overrides });
    printDiagnostics(pipeline.warnings);
    return pipeline;
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
