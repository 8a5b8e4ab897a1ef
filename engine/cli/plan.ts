/** `status` and `run --dry-run`: the planner's verdict for every step, with reasons. */
import { projectRelative } from '../project.ts';
import { openSession } from '../cache-session.ts';
import { gatherFacts, buildManifest, type StepFacts } from '../step-facts.ts';
import { planSteps, describeReasons, type Decision, type PlanStep } from '../planner.ts';
import { selectSteps, type SelectOptions } from '../select.ts';
import type { Pipeline } from '../pipeline.ts';
import type { RemoteCache } from '../remote/cache.ts';
import { planWithRemote } from '../remote/plan.ts';

/**
 * The plan, and the facts (code, own file deps, env) of every planned step, known even where the key is not.
 * With a remote, keys the local cache cannot serve are looked up there first.
 */
export async function planPipeline(pipeline: Pipeline, select: SelectOptions = {}, remote?: RemoteCache): Promise<{ order: string[]; decisions: Map<string, Decision>; facts: Map<string, StepFacts> }> {
  const session = openSession(pipeline.root);
  const { selected, forced } = selectSteps(pipeline, select);
  const order = pipeline.order.filter((id) => selected.has(id));
  const producedBy = new Map<string, string>();
  for (const step of pipeline.steps.values()) for (const out of step.outs) producedBy.set(out, step.id);
  const facts = new Map<string, StepFacts>();
  for (const id of order) {
    const step = pipeline.steps.get(id)!;
    const upstreamOuts = new Set(step.deps.filter((d) => producedBy.has(d) && producedBy.get(d) !== id));
    try {
      facts.set(id, await gatherFacts(step, pipeline.root, upstreamOuts, session.stats, session.code, process.env, session.store));
    } catch (error) {
      throw new Error(`step \`${id}\`: ${(error as Error).message}`);
    }
  }
  const plan: PlanStep[] = order.map((id) => {
    const step = pipeline.steps.get(id)!;
    return {
      id,
      upstream: pipeline.graph.inNeighbors(id).filter((u) => selected.has(u)),
      flags: { forced: forced.has(id), cache: step.cache, alwaysRun: step.alwaysRun },
    };
  });
  const local = session.view(projectRelative(pipeline.root, pipeline.file));
  const view = remote ? remote.view(local) : local;
  const replan = () => planSteps(plan, (id, upstream) => buildManifest(pipeline.steps.get(id)!, facts.get(id)!, upstream), view);
  const decisions = remote ? await planWithRemote(replan, remote, local) : replan();
  await session.save();
  return { order, decisions, facts };
}

export function planJson(order: string[], decisions: Map<string, Decision>) {
  return order.map((id) => {
    const d = decisions.get(id)!;
    return { id, status: d.action === 'cached' ? 'up-to-date' : 'stale', source: d.action === 'run' ? null : fromRemote(d) ? 'remote' : 'local', reason: describeReasons(d.reasons), reasons: d.reasons, key: d.key ?? null };
  });
}

export function planText(order: string[], decisions: Map<string, Decision>): string {
  const width = Math.max(...order.map((id) => id.length));
  return order
    .map((id) => {
      const d = decisions.get(id)!;
      const state = d.action === 'run' ? 'stale     ' : fromRemote(d) ? 'in remote ' : 'up-to-date';
      return `${id.padEnd(width)}  ${state}  ${describeReasons(d.reasons)}`;
    })
    .join('\n');
}

/** A cached step whose outputs a remote holds: a run downloads them instead of executing. */
function fromRemote(d: Decision): boolean {
  return d.reasons[0]?.kind === 'remote';
}
