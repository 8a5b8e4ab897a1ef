/**
 * Confinement: the engine (and any plugin) writes only inside the project root, like
 * DVC's "output is outside of the repo". A path to write is refused when it is
 * absolute, when `..` climbs out of the root, when it is the root itself or inside the
 * cache folder, or when any existing level of it is a symlink resolving outside the
 * root. Validation runs the check with the pipeline's positions; the same check runs
 * again right before a write or restore, because a symlink can appear in between.
 * Reading outside the project stays allowed: only writes are confined.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Stable code of every refusal to write outside the project. */
export const OUTSIDE_PROJECT = 'E_OUTSIDE_PROJECT';
/** Stable code of a stored directory listing with an entry that would escape its folder. */
export const UNSAFE_DIR_ENTRY = 'E_UNSAFE_DIR_ENTRY';

const CACHE_DIR = '.tradepipe';

export class OutsideProject extends Error {
  readonly code = OUTSIDE_PROJECT;
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`refusing to write \`${path}\`: ${why} [${OUTSIDE_PROJECT}]`);
    this.name = 'OutsideProject';
  }
}

export class UnsafeDirEntry extends Error {
  readonly code = UNSAFE_DIR_ENTRY;
  constructor(
    readonly dirHash: string,
    readonly entry: string,
    readonly why: string,
  ) {
    super(`stored directory ${dirHash} has entry ${JSON.stringify(entry)} that ${why}; refused, nothing written [${UNSAFE_DIR_ENTRY}]`);
    this.name = 'UnsafeDirEntry';
  }
}

const isInside = (root: string, abs: string) => {
  const rel = relative(root, abs);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** What is written at a path: an out (file or folder replaced as a whole), or a folder written in (`wdir`), which may be the root. */
export interface WriteTarget {
  folder?: boolean;
}

/** Why `path` (project-relative, or absolute) is no place to write, from its text alone; undefined when it is one. */
export function lexicalEscape(root: string, path: string, target: WriteTarget = {}): string | undefined {
  if (isAbsolute(path)) return 'it is an absolute path; outputs are written inside the project, relative to its root';
  const rel = relative(root, resolve(root, path));
  if (rel === '') return target.folder ? undefined : 'it is the project root itself';
  if (!isInside(root, resolve(root, path))) return 'it climbs out of the project with `..`';
  if (rel.split(sep)[0] === CACHE_DIR) return `it is inside the cache folder \`${CACHE_DIR}\``;
  return undefined;
}

/** Each existing level of `rel` below the root, shallowest first. */
function levels(root: string, rel: string): string[] {
  const parts = relative(root, resolve(root, rel))
    .split(sep)
    .filter((p) => p !== '');
  return parts.map((_, i) => join(root, ...parts.slice(0, i + 1)));
}

/** Where a symlink leads: its real path, or for a dangling link its target resolved from its folder. */
type LinkTarget = (abs: string) => string;

function escapeThroughLinks(root: string, rel: string, isLink: (abs: string) => boolean | undefined, target: LinkTarget, realRoot: string): string | undefined {
  for (const abs of levels(root, rel)) {
    const link = isLink(abs);
    if (link === undefined) return undefined; // Nothing exists from here down: nothing to follow.
    if (!link) continue;
    const to = target(abs);
    if (!isInside(realRoot, to)) return `\`${relative(root, abs).split(sep).join('/')}\` is a symlink to ${to}, outside the project`;
  }
  return undefined;
}

const isSymlinkSync = (abs: string): boolean | undefined => {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return undefined;
  }
};

const linkTargetSync: LinkTarget = (abs) => {
  try {
    return realpathSync(abs);
  } catch {
    return resolve(dirname(abs), readlinkSync(abs));
  }
};

const realRootSync = (root: string) => {
  try {
    return realpathSync(root);
  } catch {
    return resolve(root);
  }
};

/** Why writing `path` would leave the project (text or symlinks); undefined when it stays inside. For validation. */
export function confinementProblem(root: string, path: string, target: WriteTarget = {}): string | undefined {
  return lexicalEscape(root, path, target) ?? escapeThroughLinks(root, path, isSymlinkSync, linkTargetSync, realRootSync(root));
}

/**
 * The absolute path to write for project-relative `path`, checked right before the
 * write: throws OutsideProject when it would land outside the project root.
 */
export async function confinedPath(root: string, path: string, target: WriteTarget = {}): Promise<string> {
  const lexical = lexicalEscape(root, path, target);
  if (lexical) throw new OutsideProject(path, lexical);
  const realRoot = await realpath(root).catch(() => resolve(root));
  // Async lstat of every level first, then the same pure walk as validation.
  const kinds = new Map<string, boolean | undefined>();
  const targets = new Map<string, string>();
  for (const abs of levels(root, path)) {
    const kind = await lstat(abs).then(
      (s) => s.isSymbolicLink(),
      () => undefined,
    );
    kinds.set(abs, kind);
    if (kind === undefined) break;
    if (kind) targets.set(abs, await realpath(abs).catch(async () => resolve(dirname(abs), await readlink(abs))));
  }
  const symlink = escapeThroughLinks(
    root,
    path,
    (abs) => kinds.get(abs),
    (abs) => targets.get(abs)!,
    realRoot,
  );
  if (symlink) throw new OutsideProject(path, symlink);
  return resolve(root, path);
}

/** Why a stored directory's entry name could land outside the directory it is restored into; undefined when safe. */
export function entryEscape(entry: string): string | undefined {
  if (entry === '' || entry.includes('\0')) return 'is empty or holds a NUL byte';
  if (isAbsolute(entry) || entry.startsWith('/') || /^[A-Za-z]:[\\/]/.test(entry)) return 'is an absolute path';
  if (entry.split(/[\\/]/).some((part) => part === '..' || part === '.' || part === '')) return 'climbs out with `..` (or has an empty or `.` level)';
  return undefined;
}

/** Checks every entry of a stored directory listing before anything is written from it. */
export function assertSafeListing(dirHash: string, listing: readonly (readonly [string, string])[]): void {
  for (const [entry] of listing) {
    const why = typeof entry === 'string' ? entryEscape(entry) : 'is not a string';
    if (why) throw new UnsafeDirEntry(dirHash, String(entry), why);
  }
}
