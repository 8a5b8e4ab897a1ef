/**
 * YAML to plain values with a position for every path, and `$ref` resolution.
 * `{ $ref: file.yaml#/pointer, key: override }` is replaced by the referenced value,
 * deep-merged with its sibling keys; positions inside the referenced value point into
 * the referenced file, so an error in shared hyperparameters names that file's line.
 */
import { readFileSync } from 'node:fs';
import { resolve, isAbsolute } from 'node:path';
import { parseDocument, isMap, isSeq, isScalar, isAlias, type Node, type Document } from 'yaml';
import { sourceFile, type Diagnostic, type SourceFile, type Span } from './errors.ts';
import type { DiagnosticName, Severity } from './diagnostic-codes.ts';

export type Path = readonly (string | number)[];

/** Where a value came from: a YAML span, or a named origin such as a CLI flag. */
export interface Where {
  value?: Span;
  key?: Span;
  origin?: string;
}

export class Positions {
  private readonly map = new Map<string, Where>();
  set(path: Path, where: Where): void {
    this.map.set(pointer(path), where);
  }
  /** `set` by the path's JSON pointer (`pointer(path)`), for a walk that builds it as it goes down. */
  setAt(jsonPointer: string, where: Where): void {
    this.map.set(jsonPointer, where);
  }
  get(path: Path): Where | undefined {
    return this.map.get(pointer(path));
  }
  /** The closest recorded position at or above `path`. */
  nearest(path: Path): Where | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.map.get(pointer(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  }
  /** A copy of the positions under `path`, re-rooted so `path` becomes the root. */
  subtree(path: Path): Positions {
    const prefix = pointer(path);
    const out = new Positions();
    for (const [key, where] of this.map) {
      if (key === prefix || key.startsWith(prefix + '/')) out.map.set(key.slice(prefix.length), where);
    }
    return out;
  }
  /** Places every position of `other` under `path`, replacing what was there. */
  graft(other: Positions, path: Path): void {
    const prefix = pointer(path);
    for (const [key, where] of other.map) this.map.set(prefix + key, where);
  }
  /** Forgets the positions strictly below `path`. */
  clearBelow(path: Path): void {
    const prefix = pointer(path) + '/';
    for (const key of [...this.map.keys()]) if (key.startsWith(prefix)) this.map.delete(key);
  }
}

export function pointer(path: Path): string {
  return path.map(pointerSegment).join('');
}

function pointerSegment(segment: string | number): string {
  const text = String(segment);
  return '/' + (text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text);
}

export function diagnosticAt(where: Where | undefined, code: DiagnosticName, message: string, part: 'key' | 'value' = 'value', severity?: Severity): Diagnostic {
  const span = part === 'key' ? (where?.key ?? where?.value) : (where?.value ?? where?.key);
  const base = { code, message, ...(severity === 'warning' ? { severity } : {}) };
  if (span) return { ...base, span };
  return where?.origin ? { ...base, origin: where.origin } : base;
}

export interface LoadedYaml {
  value: unknown;
  positions: Positions;
  /** Every file read, the root first (watch mode watches them). */
  files: string[];
}

export interface YamlLoader {
  load(file: string): LoadedYaml;
  readonly errors: Diagnostic[];
}

/**
 * `root` is the folder `$ref` paths are relative to; `display` turns absolute paths
 * into what error messages show.
 */
export function yamlLoader(root: string, display: (abs: string) => string): YamlLoader {
  const errors: Diagnostic[] = [];
  const parsed = new Map<string, { doc: Document; source: SourceFile } | null>();

  const parse = (abs: string, from?: Where) => {
    if (parsed.has(abs)) return parsed.get(abs)!;
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      errors.push(diagnosticAt(from, 'unreadable-file', `cannot read \`${display(abs)}\`: ${reason}`));
      parsed.set(abs, null);
      return null;
    }
    const source = sourceFile(display(abs), text);
    const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
    for (const e of doc.errors) {
      errors.push({ code: 'yaml-syntax', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), span: { source, start: e.pos[0], end: e.pos[1] } });
    }
    const entry = doc.errors.length > 0 ? null : { doc, source };
    parsed.set(abs, entry);
    return entry;
  };

  const load = (abs: string, stack: string[], from?: Where): LoadedYaml | null => {
    if (stack.includes(abs)) {
      errors.push(diagnosticAt(from, 'ref-cycle', `\`$ref\` cycle: ${[...stack, abs].map(display).join(' -> ')}`));
      return null;
    }
    const entry = parse(abs, from);
    if (!entry) return null;
    const positions = new Positions();
    const files = [abs];
    const value = walk(entry.doc.contents, [], '', entry, positions, [...stack, abs], files);
    // A file's own root (not a `$ref`'s, which keeps pointing at the reference): problems
    // with the document as a whole, like a missing top-level field, point at its start.
    if (stack.length === 0 && !positions.get([])) {
      const range = (entry.doc.contents as Node | null)?.range;
      positions.set([], { value: { source: entry.source, start: range?.[0] ?? 0, end: range?.[0] ?? 0 } });
    }
    return { value, positions, files };
  };

  /** `at` is `pointer(path)`. */
  const walk = (
    node: Node | null | unknown,
    path: Path,
    at: string,
    ctx: { doc: Document; source: SourceFile },
    positions: Positions,
    stack: string[],
    files: string[],
  ): unknown => {
    const span = (n: Node | null | undefined): Span | undefined =>
      n?.range ? { source: ctx.source, start: n.range[0], end: n.range[1] } : undefined;
    if (isAlias(node)) return walk(node.resolve(ctx.doc), path, at, ctx, positions, stack, files);
    if (isScalar(node)) return node.value;
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const itemAt = at + pointerSegment(i);
        positions.setAt(itemAt, { value: span(item as Node) });
        return walk(item, [...path, i], itemAt, ctx, positions, stack, files);
      });
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const keySpans = new Map<string, Span | undefined>();
      let ref: { target: string; where: Where } | undefined;
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = String(isScalar(keyNode) ? keyNode.value : keyNode);
        const where: Where = { key: span(keyNode), value: span(pair.value as Node) ?? span(keyNode) };
        if (keySpans.has(key)) {
          const first = keySpans.get(key);
          const line = first ? first.source.lines.linePos(first.start).line : undefined;
          const what = path.length === 1 && path[0] === 'steps' ? 'step id' : 'key';
          errors.push(diagnosticAt(where, what === 'step id' ? 'duplicate-step' : 'duplicate-key', `duplicate ${what} \`${key}\`${line ? ` (first defined on line ${line})` : ''}`, 'key'));
          continue;
        }
        keySpans.set(key, where.key);
        if (key === '$ref') {
          const target = isScalar(pair.value) ? pair.value.value : undefined;
          if (typeof target !== 'string') errors.push(diagnosticAt(where, 'bad-ref', '`$ref` must be a string like `config/file.yaml#/key`'));
          else ref = { target, where };
          continue;
        }
        const keyAt = at + pointerSegment(key);
        positions.setAt(keyAt, where);
        out[key] = walk(pair.value, [...path, key], keyAt, ctx, positions, stack, files);
      }
      if (!ref) return out;
      const resolved = resolveRef(ref.target, ref.where, stack, files);
      if (resolved === undefined) return out;
      if (Object.keys(out).length === 0) {
        positions.graft(resolved.positions, path);
        return resolved.value;
      }
      if (!isPlainObject(resolved.value)) {
        errors.push(diagnosticAt(ref.where, 'bad-ref', `\`$ref\` ${ref.target} is not a mapping, so sibling keys cannot be merged into it`));
        return out;
      }
      const merged = deepMerge(resolved.value, out);
      const siblings = positions.subtree(path);
      positions.clearBelow(path);
      positions.graft(resolved.positions, path);
      positions.graft(siblings, path);
      return merged;
    }
    return node ?? null;
  };

  const resolveRef = (target: string, where: Where, stack: string[], files: string[]): { value: unknown; positions: Positions } | undefined => {
    const hashAt = target.indexOf('#');
    const filePart = hashAt < 0 ? target : target.slice(0, hashAt);
    let frag = hashAt < 0 ? '' : target.slice(hashAt + 1);
    if (frag !== '' && !frag.startsWith('/')) frag = '/' + frag;
    const abs = isAbsolute(filePart) ? filePart : resolve(root, filePart);
    const loaded = load(abs, stack, where);
    if (!loaded) return undefined;
    for (const f of loaded.files) if (!files.includes(f)) files.push(f);
    const keys = frag === '' ? [] : frag.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    let value: unknown = loaded.value;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const container = value as Record<string, unknown> | unknown[] | null;
      const has = Array.isArray(container) ? /^\d+$/.test(k) && Number(k) < container.length : isPlainObject(container) && k in container;
      if (!has) {
        const available = isPlainObject(container) ? Object.keys(container).join(', ') : Array.isArray(container) ? `indices 0..${container.length - 1}` : 'none';
        errors.push(diagnosticAt(where, 'ref-target-missing', `\`#/${keys.slice(0, i + 1).join('/')}\` not found in ${display(abs)} (available: ${available})`));
        return undefined;
      }
      value = Array.isArray(container) ? container[Number(k)] : (container as Record<string, unknown>)[k];
    }
    const positions = loaded.positions.subtree(keys);
    return { value, positions };
  };

  return {
    load: (file: string) => load(resolve(file), []) ?? { value: undefined, positions: new Positions(), files: [resolve(file)] },
    errors,
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `over` replaces what is in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}
