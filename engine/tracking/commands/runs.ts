/** `tradepipe runs list|show|compare`: read runs back from the active target. */
import { TAG, type RunView, type TrackingBackend } from '../backend.ts';
import { duration, guarded, indent, number, table, timestamp, type CommandIO } from './common.ts';

export interface RunsListArgs {
  /** Only this experiment (by name). */
  experiment?: string;
  /** Most recent N pipeline runs (default 20). */
  limit?: number;
}

/** A run given by its id on the target, or by tradepipe's local run id. */
export async function findRun(backend: TrackingBackend, ref: string): Promise<RunView> {
  const direct = /^[0-9a-f]{32}$/.test(ref) ? await backend.getRun(ref) : undefined;
  if (direct) return direct;
  const [byLocal] = /['\\]/.test(ref) ? [] : await backend.searchRuns({ tags: { [TAG.localRunId]: ref }, limit: 1 });
  if (byLocal) return byLocal;
  throw new Error(`no run ${JSON.stringify(ref)} in ${backend.description} (give a run id or a tradepipe local run id)`);
}

const runDuration = (run: RunView): string => duration(run.endTime === undefined ? undefined : run.endTime - run.startTime);

async function experimentIds(backend: TrackingBackend, name: string | undefined): Promise<string[] | undefined> {
  if (name === undefined) return undefined;
  const match = (await backend.listExperiments()).filter((e) => e.name === name);
  if (match.length === 0) throw new Error(`no experiment named ${JSON.stringify(name)} in ${backend.description}`);
  return match.map((e) => e.id);
}

export function runsList(args: RunsListArgs, io: CommandIO): Promise<number> {
  return guarded(io, async ({ backend }) => {
    const runs = await backend.searchRuns({
      experimentIds: await experimentIds(backend, args.experiment),
      tags: { [TAG.runKind]: 'pipeline' },
      topLevel: true,
      limit: args.limit ?? 20,
    });
    if (runs.length === 0) {
      io.stdout.write(`no pipeline runs in ${backend.description}\n`);
      return;
    }
    const rows = [['RUN ID', 'LOCAL ID', 'PIPELINE', 'STATUS', 'STARTED (UTC)', 'DURATION', 'GIT']];
    for (const r of runs) {
      const git = r.tags[TAG.gitCommit] ? r.tags[TAG.gitCommit]!.slice(0, 10) + (r.tags[TAG.gitDirty] === 'true' ? '+dirty' : '') : '-';
      rows.push([r.runId, r.tags[TAG.localRunId] ?? '-', r.tags[TAG.pipeline] ?? r.name, r.status, timestamp(r.startTime), runDuration(r), git]);
    }
    io.stdout.write(table(rows));
  });
}

const isInternalTag = (key: string): boolean => key.startsWith('tradepipe.') || key.startsWith('mlflow.');

function section(title: string, entries: [string, string][]): string {
  if (entries.length === 0) return '';
  return `${title}:\n` + indent(table(entries));
}

export function runsShow(args: { run: string }, io: CommandIO): Promise<number> {
  return guarded(io, async ({ backend }) => {
    const run = await findRun(backend, args.run);
    const t = run.tags;
    const kind = t[TAG.runKind] ?? 'run';
    const head: [string, string][] = [
      ['run id', run.runId],
      ['local id', t[TAG.localRunId] ?? '-'],
      ['kind', kind],
      ['name', run.name],
      ['status', run.status],
      ['started', `${timestamp(run.startTime)} UTC`],
      ['duration', runDuration(run)],
    ];
    if (t[TAG.pipeline]) head.push(['pipeline', `${t[TAG.pipeline]} (${t[TAG.pipelineFile] ?? '?'})`]);
    if (t[TAG.gitCommit]) head.push(['git', t[TAG.gitCommit]! + (t[TAG.gitDirty] === 'true' ? ' (dirty)' : '')]);
    if (t[TAG.plugin]) head.push(['plugin', `${t[TAG.plugin]}@${t[TAG.pluginVersion] ?? '?'}`]);
    if (t[TAG.cacheKey]) head.push(['cache key', t[TAG.cacheKey]!]);
    if (t[TAG.cached] === 'true') head.push(['outputs from', `${t[TAG.producedBy] ?? '?'} (local ${t[TAG.producedByLocal] ?? '?'})`]);
    if (t[TAG.parentRunId]) head.push(['parent run', t[TAG.parentRunId]!]);
    head.push(['target', backend.description]);
    let out = table(head);

    if (kind === 'pipeline') {
      const children = await backend.searchRuns({ experimentIds: [run.experimentId], tags: { [TAG.parentRunId]: run.runId } });
      const stepOf = (r: RunView): string => r.tags[TAG.stepId] ?? r.name;
      children.sort((a, b) => a.startTime - b.startTime || stepOf(a).localeCompare(stepOf(b)));
      const rows = [['STEP', 'PLUGIN', 'STATUS', 'CACHED', 'DURATION', 'RUN ID']];
      for (const c of children) {
        const cached = c.tags[TAG.cached] === 'true';
        rows.push([stepOf(c), `${c.tags[TAG.plugin] ?? '?'}@${c.tags[TAG.pluginVersion] ?? '?'}`, c.status, cached ? 'yes' : 'no', cached ? '-' : runDuration(c), c.runId]);
      }
      out += `\nsteps (${children.length}):\n` + indent(table(rows));
    }
    const sorted = (o: Record<string, string>): [string, string][] => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
    out += section('\nparams', sorted(run.params));
    out += section(
      '\nmetrics (latest)',
      Object.entries(run.metrics)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, p]) => [k, `${number(p.value)}  (step ${p.step})`]),
    );
    out += section('\ntags', sorted(run.tags).filter(([k]) => !isInternalTag(k) || k.startsWith(TAG.outputPrefix) || k.startsWith(TAG.artifactRefPrefix)));
    const artifacts = await backend.listArtifacts(run).catch(() => []);
    if (artifacts.length > 0) out += section('\nartifacts', artifacts.map((a) => [a.path + (a.isDir ? '/' : ''), a.bytes === undefined ? '' : `${a.bytes} bytes`]));
    io.stdout.write(out);
  });
}

/** Params and latest metrics of a run; for a pipeline run, its steps' values prefixed `<step>.`. */
async function comparable(backend: TrackingBackend, run: RunView): Promise<{ params: Map<string, string>; metrics: Map<string, number> }> {
  const params = new Map<string, string>();
  const metrics = new Map<string, number>();
  const add = (r: RunView, prefix: string): void => {
    for (const [k, v] of Object.entries(r.params)) params.set(prefix + k, v);
    for (const [k, p] of Object.entries(r.metrics)) metrics.set(prefix + k, p.value);
  };
  add(run, '');
  if (run.tags[TAG.runKind] === 'pipeline') {
    const children = await backend.searchRuns({ experimentIds: [run.experimentId], tags: { [TAG.parentRunId]: run.runId } });
    for (const child of children) {
      // A cached step shows the values of the run that produced its outputs.
      const source = child.tags[TAG.cached] === 'true' && child.tags[TAG.producedBy] ? ((await backend.getRun(child.tags[TAG.producedBy]!)) ?? child) : child;
      add(source, `${child.tags[TAG.stepId] ?? child.name}.`);
    }
  }
  return { params, metrics };
}

export interface RunComparison {
  /** Each run's local id (or its id on the target when it has none). */
  runs: string[];
  params: { key: string; values: (string | null)[]; differs: boolean }[];
  /** `deltas`: each run's value minus the first run's, null where either is missing. */
  metrics: { key: string; values: (number | null)[]; differs: boolean; deltas: (number | null)[] }[];
}

/** Every param and latest metric of the runs side by side (`runs compare`, the UI's compare view). */
export async function compareRuns(backend: TrackingBackend, refs: readonly string[]): Promise<RunComparison> {
  const runs = await Promise.all(refs.map((ref) => findRun(backend, ref)));
  const views = await Promise.all(runs.map((r) => comparable(backend, r)));
  const keysOf = (pick: (v: (typeof views)[number]) => Map<string, unknown>): string[] => [...new Set(views.flatMap((v) => [...pick(v).keys()]))].sort();
  return {
    runs: runs.map((r) => r.tags[TAG.localRunId] ?? r.runId.slice(0, 8)),
    params: keysOf((v) => v.params).map((key) => {
      const values = views.map((v) => v.params.get(key) ?? null);
      return { key, values, differs: new Set(values).size > 1 };
    }),
    metrics: keysOf((v) => v.metrics).map((key) => {
      const values = views.map((v) => v.metrics.get(key) ?? null);
      const first = values[0] ?? null;
      return {
        key,
        values,
        differs: new Set(values.map((x) => (x === null ? '-' : number(x)))).size > 1,
        deltas: values.map((x) => (x === null || first === null ? null : x - first)),
      };
    }),
  };
}

export function runsCompare(args: { runs: string[] }, io: CommandIO): Promise<number> {
  return guarded(io, async ({ backend }) => {
    if (args.runs.length < 2) throw new Error('runs compare needs at least two runs');
    const c = await compareRuns(backend, args.runs);
    const diffs: string[] = [];

    const paramRows = [['PARAM', ...c.runs, '']];
    for (const p of c.params) {
      paramRows.push([p.key, ...p.values.map((x) => x ?? '-'), p.differs ? '*' : '']);
      if (p.differs) diffs.push(`  param ${p.key}: ${p.values.map((x) => x ?? '(unset)').join(' -> ')}`);
    }
    const metricRows = [['METRIC (latest)', ...c.runs, '']];
    for (const m of c.metrics) {
      const shown = m.values.map((x) => (x === null ? '-' : number(x)));
      metricRows.push([m.key, ...shown, m.differs ? '*' : '']);
      if (m.differs) {
        const deltas = m.deltas.slice(1).map((d) => (d === null ? 'n/a' : (d >= 0 ? '+' : '') + number(d)));
        diffs.push(`  metric ${m.key}: ${shown.join(' -> ')} (delta vs first: ${deltas.join(', ')})`);
      }
    }
    let out = paramRows.length > 1 ? table(paramRows) : 'no params\n';
    out += '\n' + (metricRows.length > 1 ? table(metricRows) : 'no metrics\n');
    out += diffs.length === 0 ? '\nno differences\n' : `\ndifferences (${diffs.length}):\n${diffs.join('\n')}\n`;
    io.stdout.write(out);
  });
}
