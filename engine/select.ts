/** Which steps a run touches (targets and what they need) and which it forces (--from, --force): the graph alone decides. */
import type { Pipeline } from './pipeline.ts';

export interface SelectOptions {
  /** Run these steps and what they need; all steps when empty. */
  targets?: readonly string[];
  /** Force this step and everything downstream of it. */
  from?: string;
  /** Force these steps. */
  force?: readonly string[];
}

/** The steps a run touches, and which are forced, from targets/--from/--force. */
export function selectSteps(pipeline: Pipeline, opts: SelectOptions): { selected: Set<string>; forced: Set<string> } {
  const { graph } = pipeline;
  const forced = new Set(opts.force ?? []);
  let selected = new Set(pipeline.order);
  if (opts.targets && opts.targets.length > 0) {
    selected = new Set();
    const visit = (id: string) => {
      if (selected.has(id)) return;
      selected.add(id);
      for (const up of graph.inNeighbors(id)) visit(up);
    };
    for (const t of opts.targets) visit(t);
  }
  if (opts.from) {
    const down = (id: string) => {
      forced.add(id);
      selected.add(id);
      for (const next of graph.outNeighbors(id)) down(next);
    };
    down(opts.from);
    for (const id of [...selected]) for (const up of ancestors(pipeline, id)) selected.add(up);
  }
  return { selected, forced };
}

export function ancestors(pipeline: Pipeline, id: string): Set<string> {
  const out = new Set<string>();
  const stack = [id];
  while (stack.length > 0) for (const up of pipeline.graph.inNeighbors(stack.pop()!)) if (!out.has(up)) (out.add(up), stack.push(up));
  return out;
}
