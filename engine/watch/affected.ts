/** Which steps an edit touches: by their definition, by their plugin, and downstream. */
import { canonicalJson } from '../hash.ts';
import type { Pipeline } from '../pipeline.ts';
import type { Step } from '../pipeline-model.ts';

/** Everything about a step that a YAML edit can change. */
function definition(step: Step): string {
  const { uses, params, inputs, needs, env, cache, alwaysRun, resources, deps, outs } = step;
  const { name, version } = step.plugin.plugin;
  return canonicalJson({ uses, source: step.plugin.source, name, version, params, inputs, needs, env, cache, alwaysRun, resources, deps, outs });
}

/** Steps added, removed or redefined between two loads of a pipeline. */
export function changedSteps(before: Pipeline, after: Pipeline): Set<string> {
  const out = new Set<string>();
  for (const [id, step] of after.steps) {
    const old = before.steps.get(id);
    if (!old || definition(old) !== definition(step)) out.add(id);
  }
  for (const id of before.steps.keys()) if (!after.steps.has(id)) out.add(id);
  return out;
}

/** Steps whose plugin comes from one of `sources`. */
export function stepsUsing(pipeline: Pipeline, sources: ReadonlySet<string>): Set<string> {
  return new Set([...pipeline.steps.values()].filter((s) => sources.has(s.plugin.source)).map((s) => s.id));
}

/** The steps and everything downstream of them (ids not in the pipeline are dropped). */
export function withDescendants(pipeline: Pipeline, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...ids].filter((id) => pipeline.steps.has(id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...pipeline.graph.outNeighbors(id));
  }
  return out;
}
