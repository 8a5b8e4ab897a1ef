/** `tradepipe models list|show|promote`: the model registry of the active target. */
import { checkAlias, checkModelName, VERSION_TAG } from '../registry/types.ts';
import { guarded, indent, table, timestamp, type CommandIO } from './common.ts';

const aliasList = (aliases: Record<string, string>): string =>
  Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => `${alias}=${version}`)
    .join(', ') || '-';

export function modelsList(_args: Record<string, never>, io: CommandIO): Promise<number> {
  return guarded(io, async ({ registry }) => {
    const models = await registry.listModels();
    if (models.length === 0) {
      io.stdout.write(`no registered models in ${registry.description}\n`);
      return;
    }
    const rows = [['MODEL', 'VERSIONS', 'LATEST', 'ALIASES']];
    for (const m of models) rows.push([m.name, String(m.versions.length), m.versions[0]?.version ?? '-', aliasList(m.aliases)]);
    io.stdout.write(table(rows));
  });
}

/** A version's stored stats as `key=value` pairs, for one table cell. */
function statsCell(json: string | undefined): string {
  if (!json) return '-';
  try {
    return Object.entries(JSON.parse(json) as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(6)) : String(v)}`)
      .join(', ');
  } catch {
    return json;
  }
}

export function modelsShow(args: { name: string }, io: CommandIO): Promise<number> {
  return guarded(io, async ({ registry }) => {
    const model = await registry.getModel(args.name);
    if (!model) throw new Error(`no registered model named ${JSON.stringify(args.name)} in ${registry.description}`);
    let out = table([
      ['model', model.name],
      ['aliases', aliasList(model.aliases)],
      ['registry', registry.description],
    ]);
    const rows = [['VERSION', 'ALIASES', 'STATUS', 'CREATED (UTC)', 'CONTENT HASH', 'SOURCE', 'STATS']];
    for (const v of model.versions) {
      rows.push([v.version, v.aliases.join(', ') || '-', v.status, timestamp(v.createdAt), v.contentHash ? v.contentHash.slice(0, 19) : '-', v.source, statsCell(v.tags[VERSION_TAG.stats])]);
    }
    out += `\nversions (${model.versions.length}):\n` + indent(table(rows));
    io.stdout.write(out);
  });
}

export function modelsPromote(args: { name: string; version: string; alias: string }, io: CommandIO): Promise<number> {
  return guarded(io, async ({ registry }) => {
    checkModelName(args.name);
    checkAlias(args.alias);
    const version = await registry.getVersion(args.name, args.version);
    if (!version) throw new Error(`model ${args.name} has no version ${args.version} in ${registry.description}`);
    const previous = await registry.getVersionByAlias(args.name, args.alias);
    await registry.setAlias(args.name, args.alias, version.version);
    const was = previous ? (previous.version === version.version ? ' (unchanged)' : ` (was version ${previous.version})`) : ' (new alias)';
    io.stdout.write(`${args.name}@${args.alias} -> version ${version.version}${was}\n`);
  });
}
