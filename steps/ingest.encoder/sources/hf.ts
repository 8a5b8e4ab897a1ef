/**
 * `hf`: a Hugging Face Hub model repo at a revision, over the Hub's HTTP API as
 * `huggingface_hub` uses it: `GET /api/models/{repo}/revision/{revision}` gives the
 * commit and the file list, `GET /{repo}/resolve/{commit}/{file}` each file. The
 * origin is $HF_ENDPOINT (a mirror), else the public Hub; the HF_TOKEN secret, when
 * set, goes in the Authorization header only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPTIONAL_FILES, REQUIRED_FILES, checkEncoderFolder } from '../../lib/encoder/folder.ts';
import { HttpError, getJson, requestFailure, retryingFetch } from '../../lib/http/retry.ts';
import type { EncoderSource } from './source.ts';

export const HUB_ORIGIN = 'https://huggingface.co';

interface ModelInfo {
  sha?: string;
  siblings?: { rfilename: string }[];
}

function hubError(what: string, error: unknown, hasToken: boolean): Error {
  if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
    return new Error(`${what}: access denied (HTTP ${error.status}); ${hasToken ? 'the HF_TOKEN secret was rejected' : 'a gated or private repo needs the HF_TOKEN secret'}`);
  }
  if (error instanceof HttpError && error.status === 404) return new Error(`${what}: not found (HTTP 404): check the repo name and revision`);
  return requestFailure(what, error);
}

const fromHub: EncoderSource = async (ctx, params, dir) => {
  const origin = (ctx.env.HF_ENDPOINT || HUB_ORIGIN).replace(/\/+$/, '');
  const token = ctx.secret('HF_TOKEN');
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const repo = params.repo!;
  const revision = params.revision!;
  const fetchFn = retryingFetch({
    attempts: params.attempts!,
    minDelayMs: params.retry_delay_ms!,
    what: `hub request for ${repo}@${revision}`,
    signal: ctx.signal,
    log: (message) => ctx.log.warn(message),
  });

  const what = `hub model ${repo}@${revision} at ${origin}`;
  let info: ModelInfo;
  try {
    info = (await getJson(fetchFn, `${origin}/api/models/${repo}/revision/${encodeURIComponent(revision)}`, headers)) as ModelInfo;
  } catch (error) {
    throw hubError(what, error, token !== undefined);
  }
  const commit = info.sha ?? revision;
  const available = new Set((info.siblings ?? []).map((s) => s.rfilename));
  const missing = REQUIRED_FILES.filter((file) => !available.has(file));
  if (missing.length > 0) throw new Error(`${what} is not a complete encoder: the repo lacks ${missing.join(', ')}`);
  ctx.log.info(`${repo}@${revision}: commit ${commit}`);

  for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES.filter((f) => available.has(f))]) {
    const url = `${origin}/${repo}/resolve/${commit}/${file}`;
    let response: Response;
    try {
      response = await fetchFn(url, { headers });
      if (!response.ok) throw new HttpError(response.status, (await response.text()).slice(0, 200));
    } catch (error) {
      throw hubError(`${what}: ${file}`, error, token !== undefined);
    }
    await writeFile(join(dir, file), new Uint8Array(await response.arrayBuffer()));
  }
  await checkEncoderFolder(dir, what);
};
export default fromHub;
