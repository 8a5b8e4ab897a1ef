/**
 * The `executor:` section of the project file (`tradepipe.yaml`): where the Temporal cluster is.
 *
 *   executor: { address: 127.0.0.1:7233, namespace: default, task_queue: tradepipe,
 *               tls: false, api_key_secret: TEMPORAL_API_KEY }
 *
 * The API key (Temporal Cloud) is never written here: `api_key_secret` names a secret
 * (environment or config/api_keys.yaml) that holds it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInput } from '../errors.ts';
import { displayPath } from '../project.ts';
import { validateFillingDefaults } from '../schema/validate.ts';
import { isPlainObject, yamlLoader } from '../yaml-source.ts';

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** The default task queue; a step with resource tag `gpu` goes to `<task_queue>-gpu`. */
  taskQueue: string;
  tls: boolean;
  apiKeySecret?: string;
}

const executorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    address: { type: 'string', minLength: 1, default: '127.0.0.1:7233' },
    namespace: { type: 'string', minLength: 1, default: 'default' },
    task_queue: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', default: 'tradepipe' },
    tls: { type: 'boolean', default: false },
    api_key_secret: { type: 'string', minLength: 1 },
  },
};

/** The cluster from `<root>/tradepipe.yaml`; TRADEPIPE_TEMPORAL_ADDRESS overrides the address. */
export function loadTemporalConfig(root: string, env: NodeJS.ProcessEnv): TemporalConfig {
  const file = join(root, 'tradepipe.yaml');
  let section: Record<string, unknown> = {};
  if (existsSync(file)) {
    const loader = yamlLoader(root, displayPath);
    const loaded = loader.load(file);
    if (loader.errors.length > 0) throw new InvalidInput(loader.errors);
    const raw = isPlainObject(loaded.value) ? loaded.value.executor : undefined;
    if (raw !== undefined) {
      const problems = validateFillingDefaults(executorSchema, raw, ['executor'], loaded.positions, { noun: 'field', context: ' of `executor` in tradepipe.yaml' });
      if (problems.length > 0) throw new InvalidInput(problems);
      section = raw as Record<string, unknown>;
    }
  }
  return {
    address: env.TRADEPIPE_TEMPORAL_ADDRESS || ((section.address as string | undefined) ?? '127.0.0.1:7233'),
    namespace: (section.namespace as string | undefined) ?? 'default',
    taskQueue: (section.task_queue as string | undefined) ?? 'tradepipe',
    tls: section.tls === true,
    ...(typeof section.api_key_secret === 'string' ? { apiKeySecret: section.api_key_secret } : {}),
  };
}

/**
 * The task queue the CLI following a run serves itself, for the steps that use the run's
 * model registry (`registry: true` plugins). Derived from the workflow id, which is stable
 * for a pipeline, so a CLI that attaches to the running workflow serves the same queue.
 */
export function cliTaskQueueOf(workflowId: string): string {
  return `${workflowId}-cli`;
}

/** The task queue a step's activity goes to: one per resource tag, so only workers with that resource poll it. */
export function taskQueueFor(config: TemporalConfig, resources: Readonly<Record<string, number>>): string {
  const tags = Object.keys(resources).sort();
  return tags.length === 0 ? config.taskQueue : `${config.taskQueue}-${tags.join('-')}`;
}
