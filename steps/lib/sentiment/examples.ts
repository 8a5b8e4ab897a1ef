/** Labelled text from a table: texts from `textColumn`, class indices from `labelColumn` in `labels` order. */
import { stringColumn, type Table } from '../../../engine/sdk.ts';

export function texts(t: Table, column: string, input: string): string[] {
  if (!t.names.includes(column)) throw new Error(`input \`${input}\`: no text column \`${column}\` (columns: ${t.names.join(', ')})`);
  return stringColumn(t, column).map((text, i) => {
    if (text === null) throw new Error(`input \`${input}\`: row ${i + 1}: \`${column}\` is empty`);
    return text;
  });
}

export function labelIndices(t: Table, column: string, labels: readonly string[], input: string): Int32Array {
  if (!t.names.includes(column)) throw new Error(`input \`${input}\`: no label column \`${column}\` (columns: ${t.names.join(', ')})`);
  const values = stringColumn(t, column);
  return Int32Array.from(values, (value, i) => {
    const j = labels.indexOf(value ?? '');
    if (j < 0) throw new Error(`input \`${input}\`: row ${i + 1}: \`${column}\` is ${value === null ? 'empty' : `\`${value}\``}; expected one of ${labels.join(', ')}`);
    return j;
  });
}
