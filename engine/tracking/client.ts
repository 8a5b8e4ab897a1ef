/**
 * A small typed REST client for an MLflow tracking server (2.x and 3.x), over fetch.
 * Covers experiments, runs, metric histories, the artifact proxy (`mlflow-artifacts`)
 * and the model registry. Errors carry MLflow's error_code and message; credentials
 * never appear in them.
 */
import { displayUri } from './redact.ts';
import { MlflowError } from './mlflow-error.ts';
import type { MlflowClientOptions } from './mlflow-options.ts';

export interface MlflowTag {
  key: string;
  value: string;
}
export type MlflowParam = MlflowTag;
export interface MlflowMetric {
  key: string;
  /** A number, or 'NaN' / 'Infinity' / '-Infinity' (JSON has no such numbers). */
  value: number | string;
  timestamp: number;
  step: number;
}
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  tags?: MlflowTag[];
}
export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: MlflowRunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
}
export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] };
}
export type MlflowModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  source: string;
  run_id?: string;
  status: MlflowModelVersionStatus;
  status_message?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}
export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  aliases?: { alias: string; version: string }[];
  tags?: MlflowTag[];
}
export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}
interface Page {
  next_page_token?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Query = Record<string, string | number | undefined>;

export class MlflowClient {
  /** The server's URI without credentials, for messages. */
  readonly displayUri: string;
  private readonly base: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;

  constructor(options: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(options.uri);
    } catch {
      throw new Error(`MLFLOW_TRACKING_URI ${JSON.stringify(displayUri(options.uri))} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(
        `MLFLOW_TRACKING_URI ${JSON.stringify(displayUri(options.uri))} is not supported: tradepipe talks to an MLflow tracking server over http(s); unset it to use the embedded store`,
      );
    }
    const user = options.username ?? decodeURIComponent(url.username);
    const pass = options.password ?? decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/$/, '');
    this.displayUri = this.base;
    if (options.token) this.authorization = `Bearer ${options.token}`;
    else if (user) this.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 250;
  }

  // ---- experiments -------------------------------------------------------

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      const r = await this.json<{ experiment: MlflowExperiment }>('GET', '/api/2.0/mlflow/experiments/get-by-name', { query: { experiment_name: name } });
      return r.experiment;
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async createExperiment(name: string, tags: MlflowTag[] = []): Promise<string> {
    const r = await this.json<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { body: { name, tags } });
    return r.experiment_id;
  }

  async searchExperiments(req: { filter?: string; max_results?: number; page_token?: string } = {}): Promise<{ experiments: MlflowExperiment[] } & Page> {
    const r = await this.json<{ experiments?: MlflowExperiment[] } & Page>('POST', '/api/2.0/mlflow/experiments/search', { body: { max_results: 1000, ...req } });
    return { experiments: r.experiments ?? [], next_page_token: r.next_page_token };
  }

  // ---- runs --------------------------------------------------------------

  async createRun(req: { experiment_id: string; start_time: number; tags?: MlflowTag[]; run_name?: string }): Promise<MlflowRun> {
    return (await this.json<{ run: MlflowRun }>('POST', '/api/2.0/mlflow/runs/create', { body: req })).run;
  }

  async updateRun(req: { run_id: string; status?: MlflowRunStatus; end_time?: number; run_name?: string }): Promise<MlflowRunInfo> {
    return (await this.json<{ run_info: MlflowRunInfo }>('POST', '/api/2.0/mlflow/runs/update', { body: req })).run_info;
  }

  async logBatch(req: { run_id: string; metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] }): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/runs/log-batch', { body: req });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/runs/set-tag', { body: { run_id: runId, key, value } });
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.json<{ run: MlflowRun }>('GET', '/api/2.0/mlflow/runs/get', { query: { run_id: runId } })).run;
  }

  async searchRuns(req: { experiment_ids: string[]; filter?: string; max_results?: number; order_by?: string[]; page_token?: string }): Promise<{ runs: MlflowRun[] } & Page> {
    const r = await this.json<{ runs?: MlflowRun[] } & Page>('POST', '/api/2.0/mlflow/runs/search', { body: req });
    return { runs: r.runs ?? [], next_page_token: r.next_page_token };
  }

  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const all: MlflowMetric[] = [];
    let token: string | undefined;
    do {
      const r = await this.json<{ metrics?: MlflowMetric[] } & Page>('GET', '/api/2.0/mlflow/metrics/get-history', {
        query: { run_id: runId, metric_key: key, max_results: 25000, page_token: token },
      });
      all.push(...(r.metrics ?? []));
      token = r.next_page_token || undefined;
    } while (token);
    return all;
  }

  // ---- artifacts (proxied by the server: mlflow-artifacts) ----------------

  /** `path` is relative to the proxy root, e.g. `1/<run id>/artifacts/model/policy.json` (see `proxyPath`). */
  async putArtifact(path: string, data: Uint8Array): Promise<void> {
    await this.request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`, { raw: data });
  }

  async listArtifacts(path: string): Promise<MlflowFileInfo[]> {
    const r = await this.json<{ files?: MlflowFileInfo[] }>('GET', '/api/2.0/mlflow-artifacts/artifacts', { query: { path } });
    return r.files ?? [];
  }

  async getArtifact(path: string): Promise<Uint8Array> {
    const response = await this.request('GET', `/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`, {});
    return new Uint8Array(await response.arrayBuffer());
  }

  // ---- model registry ----------------------------------------------------

  async createRegisteredModel(name: string, tags: MlflowTag[] = []): Promise<MlflowRegisteredModel> {
    return (await this.json<{ registered_model: MlflowRegisteredModel }>('POST', '/api/2.0/mlflow/registered-models/create', { body: { name, tags } })).registered_model;
  }

  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    return (await this.json<{ registered_model: MlflowRegisteredModel }>('GET', '/api/2.0/mlflow/registered-models/get', { query: { name } })).registered_model;
  }

  async searchRegisteredModels(req: { filter?: string; max_results?: number; page_token?: string } = {}): Promise<{ registered_models: MlflowRegisteredModel[] } & Page> {
    const r = await this.json<{ registered_models?: MlflowRegisteredModel[] } & Page>('GET', '/api/2.0/mlflow/registered-models/search', {
      query: { max_results: 1000, ...req },
    });
    return { registered_models: r.registered_models ?? [], next_page_token: r.next_page_token };
  }

  async createModelVersion(req: { name: string; source: string; run_id?: string; tags?: MlflowTag[]; description?: string }): Promise<MlflowModelVersion> {
    return (await this.json<{ model_version: MlflowModelVersion }>('POST', '/api/2.0/mlflow/model-versions/create', { body: req })).model_version;
  }

  async getModelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    return (await this.json<{ model_version: MlflowModelVersion }>('GET', '/api/2.0/mlflow/model-versions/get', { query: { name, version } })).model_version;
  }

  async searchModelVersions(req: { filter?: string; max_results?: number; page_token?: string } = {}): Promise<{ model_versions: MlflowModelVersion[] } & Page> {
    const r = await this.json<{ model_versions?: MlflowModelVersion[] } & Page>('GET', '/api/2.0/mlflow/model-versions/search', {
      query: { max_results: 1000, ...req },
    });
    return { model_versions: r.model_versions ?? [], next_page_token: r.next_page_token };
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/model-versions/set-tag', { body: { name, version, key, value } });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias, version } });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.json('DELETE', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias } });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    return (await this.json<{ model_version: MlflowModelVersion }>('GET', '/api/2.0/mlflow/registered-models/alias', { query: { name, alias } })).model_version;
  }

  // ---- transport ---------------------------------------------------------

  private async json<T = unknown>(method: string, path: string, opts: { query?: Query; body?: unknown }): Promise<T> {
    const response = await this.request(method, path, opts);
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async request(method: string, path: string, opts: { query?: Query; body?: unknown; raw?: Uint8Array }): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (this.authorization) headers.authorization = this.authorization;
    let body: string | Blob | undefined;
    if (opts.raw) {
      body = new Blob([opts.raw as Uint8Array<ArrayBuffer>]);
      headers['content-type'] = 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const what = `MLflow ${method} ${path}`;
    for (let attempt = 0; ; attempt++) {
      let error: MlflowError;
      try {
        const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
        if (response.ok) return response;
        error = await errorFrom(response, what);
      } catch (err) {
        if (err instanceof MlflowError) throw err;
        const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        error = new MlflowError(`${what}: no answer from ${this.displayUri} (${cause})`, 'UNREACHABLE', undefined);
      }
      if (!error.transient || attempt >= this.retries) throw error;
      await sleep(this.retryBaseMs * 2 ** attempt);
    }
  }
}

async function errorFrom(response: Response, what: string): Promise<MlflowError> {
  const text = await response.text().catch(() => '');
  let code = `HTTP_${response.status}`;
  let message = text.slice(0, 500) || response.statusText;
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string };
    if (body.error_code) code = body.error_code;
    if (body.message) message = body.message;
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the text.
  }
  return new MlflowError(`${what} failed (${response.status} ${code}): ${message}`, code, response.status);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The proxy path of an artifact URI the server hands out (`mlflow-artifacts:/1/<run>/artifacts`
 * or `mlflow-artifacts://host:port/1/<run>/artifacts`). Other schemes (s3://, file://) are
 * not reachable through the tracking server.
 */
export function proxyPath(artifactUri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!m) {
    throw new Error(
      `artifact location ${artifactUri} is not served by the tracking server's proxy; start the server with --serve-artifacts (the default) and an --artifacts-destination`,
    );
  }
  return (m[1] ?? '').replace(/\/$/, '');
}
