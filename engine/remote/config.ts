/**
 * The `remote:` section of the project file (`tradepipe.yaml`): one remote, or several
 * by name. Credentials never appear here: S3 access comes from the AWS default chain.
 *
 *   remote: { url: s3://bucket/prefix, endpoint: ..., region: ..., read: true, write: true }
 *   remote: { team: { url: ..., default: true }, archive: { url: file:///mnt/cache, write: false } }
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInput, type Diagnostic } from '../errors.ts';
import { diagnosticAt, isPlainObject, yamlLoader, type Positions } from '../yaml-source.ts';
import { validateFillingDefaults } from '../schema/validate.ts';
import { displayPath } from '../project.ts';

export type RemoteLocation = { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string } | { kind: 'file'; dir: string };

export interface RemoteConfig {
  name: string;
  url: string;
  location: RemoteLocation;
  /** On a local miss, look in the remote before executing. */
  read: boolean;
  /** After executing, upload outputs and the record. */
  write: boolean;
}

/** The name a remote gets when `remote:` holds a single one. */
export const SINGLE_REMOTE = 'default';

const remoteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^(s3|file)://' },
    endpoint: { type: 'string', pattern: '^https?://' },
    region: { type: 'string', minLength: 1 },
    read: { type: 'boolean' },
    write: { type: 'boolean' },
    default: { type: 'boolean' },
  },
};

const namedSchema = {
  type: 'object',
  minProperties: 1,
  propertyNames: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' },
  additionalProperties: remoteSchema,
};

/** The remotes declared in `<root>/tradepipe.yaml`, default first; empty without a file or section. */
export function loadRemotes(root: string): RemoteConfig[] {
  const file = join(root, 'tradepipe.yaml');
  if (!existsSync(file)) return [];
  const loader = yamlLoader(root, displayPath);
  const loaded = loader.load(file);
  if (loader.errors.length > 0) throw new InvalidInput(loader.errors);
  if (!isPlainObject(loaded.value) || loaded.value.remote === undefined) return [];
  const { remotes, diagnostics } = parseRemotes(loaded.value.remote, loaded.positions);
  if (diagnostics.length > 0) throw new InvalidInput(diagnostics);
  return remotes;
}

export function parseRemotes(section: unknown, positions: Positions): { remotes: RemoteConfig[]; diagnostics: Diagnostic[] } {
  const single = isPlainObject(section) && 'url' in section;
  const context = ' of `remote` in tradepipe.yaml';
  const problems = validateFillingDefaults(single ? remoteSchema : namedSchema, section, ['remote'], positions, { noun: 'field', context });
  if (problems.length > 0) return { remotes: [], diagnostics: problems };
  const entries: [string, Record<string, unknown>, (string | number)[]][] = single
    ? [[SINGLE_REMOTE, section as Record<string, unknown>, ['remote']]]
    : Object.entries(section as Record<string, Record<string, unknown>>).map(([name, value]) => [name, value, ['remote', name]]);
  const diagnostics: Diagnostic[] = [];
  const remotes: RemoteConfig[] = [];
  for (const [name, raw, at] of entries) {
    const url = raw.url as string;
    const location = parseUrl(url, raw.endpoint as string | undefined, raw.region as string | undefined);
    if (typeof location === 'string') {
      diagnostics.push(diagnosticAt(positions.get([...at, 'url']), 'bad-remote', `remote \`${name}\`: ${location}`));
      continue;
    }
    const remote: RemoteConfig = { name, url, location, read: raw.read !== false, write: raw.write !== false };
    if (raw.default === true) remotes.unshift(remote);
    else remotes.push(remote);
  }
  const defaults = entries.filter(([, raw]) => raw.default === true);
  if (defaults.length > 1)
    diagnostics.push(diagnosticAt(positions.get([...defaults[1]![2], 'default']), 'two-default-remotes', `only one remote may be the default; \`${defaults[0]![0]}\` already is`));
  return { remotes, diagnostics };
}

function parseUrl(url: string, endpoint: string | undefined, region: string | undefined): RemoteLocation | string {
  if (url.startsWith('file://')) {
    let dir: string;
    try {
      dir = fileURLToPath(url);
    } catch (error) {
      return `\`${url}\` is not an absolute file URL (file:///path): ${(error as Error).message}`;
    }
    if (endpoint || region) return '`endpoint` and `region` apply to s3:// remotes only';
    return { kind: 'file', dir };
  }
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return `\`${url}\` is not an S3 URL (s3://bucket/prefix with a valid bucket name)`;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { kind: 's3', bucket: m[1]!, prefix, ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) };
}

/**
 * The remote a command uses: `--remote <name>`, none with `--no-remote` (false), else the
 * default. Undefined when none is configured or chosen.
 */
export function chooseRemote(remotes: readonly RemoteConfig[], flag: string | boolean | undefined): RemoteConfig | undefined {
  if (flag === false) return undefined;
  if (typeof flag === 'string') {
    const named = remotes.find((r) => r.name === flag);
    if (!named) {
      const known = remotes.length > 0 ? `; configured: ${remotes.map((r) => r.name).join(', ')}` : '; tradepipe.yaml configures none';
      throw new InvalidInput([{ origin: '--remote', message: `unknown remote \`${flag}\`${known}` }]);
    }
    return named;
  }
  return remotes[0];
}
