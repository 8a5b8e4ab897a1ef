/** Rows of both tables split by one column's value, for one drift verdict per group. */
import { column, selectRows, type Table } from '../../engine/sdk.ts';

export interface GroupPair {
  group: string;
  reference: Table;
  current: Table;
}

function indicesByGroup(t: Table, by: string): Map<string, number[]> {
  const values = column(t, by);
  const out = new Map<string, number[]>();
  for (let row = 0; row < t.rows; row++) {
    const v = values[row];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    const key = String(v);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
}

/** Groups on both sides, in sorted order, and those found on one side only. */
export function splitByGroup(reference: Table, current: Table, by: string): { groups: GroupPair[]; referenceOnly: string[]; currentOnly: string[] } {
  const ref = indicesByGroup(reference, by);
  const cur = indicesByGroup(current, by);
  const groups = [...ref.keys()].filter((g) => cur.has(g)).sort();
  return {
    groups: groups.map((group) => ({ group, reference: selectRows(reference, ref.get(group)!), current: selectRows(current, cur.get(group)!) })),
    referenceOnly: [...ref.keys()].filter((g) => !cur.has(g)).sort(),
    currentOnly: [...cur.keys()].filter((g) => !ref.has(g)).sort(),
  };
}
