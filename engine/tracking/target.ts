/**
 * Picks where tracking data and registered models go, from the environment:
 * an MLflow server when MLFLOW_TRACKING_URI is set, else the embedded store and
 * the filesystem registry inside the project's store directory.
 */
import type { Store } from '../store.ts';
import type { TrackingBackend } from './backend.ts';
import { localBackend } from './local-backend.ts';
import { clientOptionsFromEnv } from './mlflow-options.ts';
import { fsRegistry } from './registry/fs-registry.ts';
import type { ModelRegistry } from './registry/types.ts';

export interface TargetOptions {
  /** The project's content-addressed store (engine/store.ts); tracking keeps its files in `<store dir>/tracking/`. */
  store: Store;
  env: NodeJS.ProcessEnv;
}

export interface TrackingTarget {
  backend: TrackingBackend;
  registry: ModelRegistry;
  store: Store;
  /** `<root>/.tradepipe`: the folder under which `tracking/` lives. */
  storeDir: string;
}

/**
 * Rejects with a clear message for an unusable MLFLOW_TRACKING_URI (not http(s), not a URL). The MLflow client, backend
 * and registry load only when MLflow is the target.
 */
export async function openTarget(opts: TargetOptions): Promise<TrackingTarget> {
  const storeDir = opts.store.paths.store;
  const clientOptions = clientOptionsFromEnv(opts.env);
  if (!clientOptions) return { backend: localBackend(storeDir), registry: fsRegistry(opts.store), store: opts.store, storeDir };
  const [{ MlflowClient }, { mlflowBackend }, { mlflowRegistry }] = await Promise.all([
    import('./client.ts'),
    import('./mlflow-backend.ts'),
    import('./registry/mlflow-registry.ts'),
  ]);
  const client = new MlflowClient(clientOptions);
  const backend = mlflowBackend(client);
  return { backend, registry: mlflowRegistry(client, backend), store: opts.store, storeDir };
}
