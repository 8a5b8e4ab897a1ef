/** The model registry as tradepipe uses it: an MLflow server's, or the filesystem one in the project. */

export interface ModelVersion {
  name: string;
  version: string;
  /** Artifact URI of the files (the registering run's artifacts). */
  source: string;
  runId?: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  /** `sha256:<hex>` of the files in the project's store, when tradepipe registered them. */
  contentHash?: string;
  /** Whether `contentHash` names a directory or a single file. */
  contentKind: 'file' | 'dir';
  tags: Record<string, string>;
  aliases: string[];
  createdAt: number;
}

export interface RegisteredModel {
  name: string;
  /** alias -> version */
  aliases: Record<string, string>;
  /** Newest first. */
  versions: ModelVersion[];
}

export interface NewVersion {
  name: string;
  source: string;
  runId?: string;
  contentHash: string;
  contentKind: 'file' | 'dir';
  tags?: Record<string, string>;
  description?: string;
}

export interface ModelRegistry {
  /** For messages: the server URI or the registry's folder. */
  readonly description: string;
  listModels(): Promise<RegisteredModel[]>;
  getModel(name: string): Promise<RegisteredModel | undefined>;
  getVersion(name: string, version: string): Promise<ModelVersion | undefined>;
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  findVersionByHash(name: string, contentHash: string): Promise<ModelVersion | undefined>;
  /** Creates the registered model when needed and resolves once the version is READY. */
  createVersion(req: NewVersion): Promise<ModelVersion>;
  setVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  deleteAlias(name: string, alias: string): Promise<void>;
  /** Copies the version's files (a directory, or one file) to `dest`. */
  download(version: ModelVersion, dest: string): Promise<void>;
}

/** Version tags tradepipe writes. */
export const VERSION_TAG = {
  contentHash: 'tradepipe.content_hash',
  contentKind: 'tradepipe.content_kind',
  /** JSON object of the stats the version was judged on (e.g. pyfolio perf stats). */
  stats: 'tradepipe.stats',
  localRunId: 'tradepipe.local_run_id',
} as const;

const ALIAS = /^[A-Za-z0-9_-]+$/;
const MODEL_NAME = /^[^/@:]+$/;

/** What is wrong with an alias MLflow would refuse, or undefined. */
export function aliasProblem(alias: string): string | undefined {
  if (!ALIAS.test(alias) || /^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest') {
    return `alias ${JSON.stringify(alias)}: expected letters, digits, _ and - (not 'latest' nor v<number>)`;
  }
  return undefined;
}

export function checkAlias(alias: string): void {
  const problem = aliasProblem(alias);
  if (problem) throw new Error(problem);
}

export function checkModelName(name: string): void {
  if (!MODEL_NAME.test(name) || name.trim() !== name) {
    throw new Error(`model name ${JSON.stringify(name)}: expected a non-empty name without '/', '@', ':' or surrounding spaces`);
  }
}
