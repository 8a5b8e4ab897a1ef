/**
 * Declared column types applied to a table read from Parquet, where the file already
 * fixes each column's type: only lossless conversions are made, anything else is an error.
 */
import { type Column, column, columnType, type ColumnType, orderedTable, type Table } from '../../engine/sdk.ts';

export function withDeclaredTypes(t: Table, types: Readonly<Record<string, ColumnType>>): Table {
  const columns: Record<string, Column> = Object.create(null);
  for (const name of t.names) columns[name] = t.columns[name]!;
  for (const [name, declared] of Object.entries(types)) {
    columns[name] = convert(name, column(t, name), declared);
  }
  return orderedTable(t.names, columns);
}

function convert(name: string, values: Column, declared: ColumnType): Column {
  const actual = columnType(values);
  if (actual === declared) return values;
  if (declared === 'number' && values instanceof Int32Array) return Float64Array.from(values);
  if (declared === 'int' && values instanceof Float64Array) {
    const ints = Int32Array.from(values);
    const lossy = values.findIndex((v, i) => v !== ints[i]);
    if (lossy < 0) return ints;
    throw new Error(`column \`${name}\` is declared int but row ${lossy + 1} holds ${values[lossy]}`);
  }
  throw new Error(`column \`${name}\` is declared ${declared} but holds ${actual} values`);
}
