/**
 * Errors are values. A Diagnostic carries where the problem is (file + offsets, or a
 * named origin such as `--set`) until the CLI prints it, so a message always points
 * at the offending line instead of a stack trace.
 */
import { LineCounter } from 'yaml';
import { DIAGNOSTIC_CODES, type DiagnosticName, type Severity } from './diagnostic-codes.ts';

export interface SourceFile {
  /** Path as shown to the user (relative to the working directory when possible). */
  readonly display: string;
  readonly text: string;
  readonly lines: LineCounter;
}

export interface Span {
  readonly source: SourceFile;
  readonly start: number;
  readonly end: number;
}

export interface Diagnostic {
  readonly message: string;
  /** Stable identity of the problem (see diagnostic-codes.ts); absent only on diagnostics built outside the engine. */
  readonly code?: DiagnosticName;
  /** `warning`s are printed and do not stop anything; absent means `error`. */
  readonly severity?: Severity;
  /** Where in a YAML file, when known. */
  readonly span?: Span;
  /** Where otherwise: a CLI flag (`--set train.lr=x`) or a field path. */
  readonly origin?: string;
  /** A stable tag a family of runtime errors shares with it (e.g. `E_OUTSIDE_PROJECT`), printed after the message. */
  readonly tag?: string;
}

/** How the CLI heads a diagnostic: `error TP0102`, `warning TP0308`, or just `error`. */
export function diagnosticLabel(d: Diagnostic): string {
  return `${d.severity ?? 'error'}${d.code ? ` ${DIAGNOSTIC_CODES[d.code]}` : ''}`;
}

export const isError = (d: Diagnostic): boolean => d.severity !== 'warning';

/** Thrown by engine stages; the CLI prints every diagnostic and exits with code 2. */
export class InvalidInput extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(d, { color: false })).join('\n'));
    this.name = 'InvalidInput';
  }
}

export function sourceFile(display: string, text: string): SourceFile {
  const lines = new LineCounter();
  let offset = 0;
  for (const line of text.split('\n')) {
    lines.addNewLine(offset);
    offset += line.length + 1;
  }
  return { display, text, lines };
}

export function position(span: Span): { line: number; col: number } {
  return span.source.lines.linePos(span.start);
}

export function formatDiagnostic(d: Diagnostic, opts: { color: boolean }): string {
  const red = (s: string) => (opts.color ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (opts.color ? `\x1b[2m${s}\x1b[22m` : s);
  const message = d.tag ? `${d.message} [${d.tag}]` : d.message;
  if (!d.span) return d.origin ? `${d.origin}: ${message}` : message;
  const { line, col } = position(d.span);
  const head = `${d.span.source.display}:${line}:${col}: ${message}`;
  const text = d.span.source.text.split('\n')[line - 1];
  if (text === undefined) return head;
  const gutter = String(line);
  const width = Math.max(1, Math.min(d.span.end - d.span.start, text.length - col + 1));
  return [
    head,
    `${dim(`${gutter} |`)} ${text}`,
    `${dim(`${' '.repeat(gutter.length)} |`)} ${' '.repeat(col - 1)}${red('^'.repeat(width))}`,
  ].join('\n');
}
