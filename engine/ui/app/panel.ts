/**
 * The step panel: plugin, params, every cache-key input with its hash and the stale
 * reason (the server's `status --explain`), last runs, logs, metric charts, output
 * previews and the MLflow link.
 */
import { api, type OutputPreview, type StepDetail } from './api.ts';
import { h, clear, shortHash } from './dom.ts';
import { formatBytes, formatDuration } from '../../format.ts';
import { metricChart } from './charts.ts';

const PAGE = 50;

export interface PanelHandle {
  element: HTMLElement;
  open(pipeline: string, stepId: string): Promise<void>;
  refresh(): Promise<void>;
  close(): void;
  readonly stepId: string | null;
}

export interface PanelOptions {
  onClose(): void;
  /** Present only with --allow-run: asks for confirmation, then starts the step. */
  runStep?: (pipeline: string, stepId: string) => void;
}

function section(title: string, ...body: (Node | string)[]): HTMLElement {
  const id = `sec-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id, class: `panel-section ${id}` }, h('h3', { id }, title), ...body);
}

/** A cache-key value as `status --explain` prints it: hashes shortened, params as JSON. */
function value(field: string, v: unknown, pending: boolean): string {
  if (pending) return '(after upstream runs)';
  if (typeof v === 'string' && !field.startsWith('params')) return v.startsWith('sha256:') ? shortHash(v) : v;
  return JSON.stringify(v) ?? '–';
}

function tablePreview(pipeline: string, stepId: string, first: Extract<OutputPreview, { kind: 'table' }>): HTMLElement {
  const box = h('div', { class: 'table-preview' });
  const show = (p: Extract<OutputPreview, { kind: 'table' }>) => {
    const end = p.offset + p.rows.length;
    const prev = h('button', { type: 'button', class: 'prev', disabled: p.offset === 0 }, '‹ Previous');
    const next = h('button', { type: 'button', class: 'next', disabled: end >= p.total }, 'Next ›');
    const go = async (offset: number) => show((await api.output(pipeline, stepId, p.name, offset, PAGE)) as typeof p);
    prev.addEventListener('click', () => void go(Math.max(0, p.offset - PAGE)));
    next.addEventListener('click', () => void go(end));
    const table = h(
      'table',
      { class: 'data' },
      h('caption', {}, `${p.name}: rows ${p.total === 0 ? 0 : p.offset + 1}–${end} of ${p.total.toLocaleString('en')}`),
      h('thead', {}, h('tr', {}, ...p.columns.map((c) => h('th', { scope: 'col' }, c.name, h('span', { class: 'type' }, c.type))))),
      h('tbody', {}, ...p.rows.map((r) => h('tr', {}, ...r.map((cell, i) => h('td', { class: p.columns[i]!.type === 'string' ? '' : 'num' }, cell === null ? '∅' : String(cell)))))),
    );
    box.replaceChildren(h('div', { class: 'pager', role: 'group', 'aria-label': `Pages of ${p.name}` }, prev, h('span', { class: 'page-info' }, `${p.offset + 1}–${end} of ${p.total}`), next), h('div', { class: 'scroll' }, table));
  };
  show(first);
  return box;
}

function previewOf(pipeline: string, stepId: string, p: OutputPreview): HTMLElement {
  switch (p.kind) {
    case 'table':
      return tablePreview(pipeline, stepId, p);
    case 'json':
      return h('pre', { class: 'json' }, JSON.stringify(p.value, null, 2));
    case 'dir':
      return h('ul', { class: 'dir' }, ...p.entries.map((e) => h('li', {}, h('code', {}, e.path), ` ${e.size === null ? '' : formatBytes(e.size)} `, h('span', { class: 'hash', title: e.hash }, shortHash(e.hash)))));
    default:
      return p.text === null ? h('p', {}, `binary file, ${formatBytes(p.size)}`) : h('pre', { class: 'text' }, p.text + (p.truncated ? '\n…' : ''));
  }
}

export function createPanel(opts: PanelOptions): PanelHandle {
  const body = h('div', { class: 'panel-body' });
  const title = h('h2', { id: 'panel-title' });
  const closeButton = h('button', { type: 'button', class: 'close', 'aria-label': 'Close step panel (Escape)' }, '×');
  const element = h('aside', { class: 'panel', 'aria-labelledby': 'panel-title', hidden: true }, h('header', {}, title, closeButton), body);
  let disposers: (() => void)[] = [];
  let pipeline = '';
  let stepId: string | null = null;
  let generation = 0;

  const close = () => {
    for (const d of disposers) d();
    disposers = [];
    stepId = null;
    element.hidden = true;
    opts.onClose();
  };
  closeButton.addEventListener('click', close);
  element.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close();
  });

  const render = (d: StepDetail) => {
    for (const dispose of disposers) dispose();
    disposers = [];
    clear(body);
    const e = d.explanation;
    title.textContent = d.id;
    const status = h('p', { class: 'status-line' }, h('span', { class: 'badge', 'data-status': e.status }, e.status === 'up-to-date' ? 'up to date' : 'stale'), ' ', h('span', { class: 'reason' }, e.reason));
    const actions = opts.runStep ? h('button', { type: 'button', class: 'run-step' }, `Run ${d.id}…`) : null;
    actions?.addEventListener('click', () => opts.runStep!(pipeline, d.id));
    body.append(
      section(
        'Step',
        h('dl', { class: 'facts' }, h('dt', {}, 'plugin'), h('dd', {}, h('code', {}, d.plugin)), h('dt', {}, 'version'), h('dd', {}, d.version), h('dt', {}, 'last run'), h('dd', {}, e.lastRun ? `${e.lastRun.runId} (${e.lastRun.finishedAt})` : 'never')),
        h('p', { class: 'description' }, d.description),
        status,
        ...(actions ? [actions] : []),
        ...(d.mlflowUrl ? [h('p', {}, h('a', { href: d.mlflowUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open the run in MLflow'))] : []),
      ),
      section('Params', h('pre', { class: 'params json' }, JSON.stringify(d.params, null, 2))),
      section(
        'Cache key',
        h(
          'table',
          { class: 'key' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'input'), h('th', { scope: 'col' }, 'now'), h('th', { scope: 'col' }, 'last run'), h('th', { scope: 'col' }, 'change'))),
          h(
            'tbody',
            {},
            ...e.fields.map((f) =>
              h('tr', { 'data-change': f.change }, h('th', { scope: 'row' }, f.field), h('td', { title: typeof f.current === 'string' ? f.current : '' }, value(f.field, f.current, f.change === 'pending')), h('td', { title: typeof f.last === 'string' ? f.last : '' }, 'last' in f ? value(f.field, f.last, false) : '–'), h('td', {}, f.change)),
            ),
          ),
        ),
      ),
      section(
        'Last runs',
        d.lastRuns.length === 0
          ? h('p', {}, 'No runs yet.')
          : h(
              'table',
              { class: 'runs' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'run'), h('th', { scope: 'col' }, 'started'), h('th', { scope: 'col' }, 'outcome'), h('th', { scope: 'col' }, 'duration'))),
              h('tbody', {}, ...d.lastRuns.map((r) => h('tr', {}, h('td', {}, h('a', { href: `#/pipeline/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(r.runId)}` }, r.runId)), h('td', {}, r.startedAt.replace('T', ' ').slice(0, 19)), h('td', { 'data-outcome': r.outcome }, r.outcome), h('td', {}, (r.durationMs === null ? '–' : formatDuration(r.durationMs)))))),
            ),
      ),
      section('Logs', d.logs ? h('pre', { class: 'logs', tabindex: 0, 'aria-label': `Log of run ${d.logs.runId}` }, [...d.logs.lines.map((l) => `${new Date(l.t).toISOString().slice(11, 23)} ${l.level.padEnd(5)} ${l.message}`), ...(d.logs.error ? [`error: ${d.logs.error}`] : [])].join('\n') || '(no log lines)') : h('p', {}, 'No log: the step has not executed since the event stream existed.')),
    );
    const metrics = Object.entries(d.metrics);
    const charts = h('div', { class: 'charts' });
    for (const [key, points] of metrics) {
      const c = metricChart(key, points);
      disposers.push(c.dispose);
      charts.append(c.figure);
    }
    body.append(section('Metrics', metrics.length > 0 ? charts : h('p', {}, d.metricsError ? `No metrics: ${d.metricsError}` : 'No metrics logged.')));
    const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
    const outputs = h(
      'ul',
      { class: 'outputs' },
      ...d.outputs.map((o) => {
        const button = h('button', { type: 'button', 'data-output': o.name }, o.name);
        button.addEventListener('click', async () => {
          preview.replaceChildren(h('p', {}, 'Loading…'));
          try {
            preview.replaceChildren(previewOf(pipeline, d.id, await api.output(pipeline, d.id, o.name, 0, PAGE)));
          } catch (error) {
            preview.replaceChildren(h('p', { class: 'error' }, (error as Error).message));
          }
        });
        return h('li', {}, button, ` ${o.kind}, ${formatBytes(o.size)} `, h('span', { class: 'hash', title: o.hash }, shortHash(o.hash)));
      }),
    );
    body.append(section('Outputs', d.outputs.length > 0 ? outputs : h('p', {}, 'No stored outputs yet.'), preview));
  };

  const load = async () => {
    if (!stepId) return;
    const mine = ++generation;
    try {
      const detail = await api.step(pipeline, stepId);
      if (mine === generation) render(detail);
    } catch (error) {
      if (mine === generation) body.replaceChildren(h('p', { class: 'error' }, (error as Error).message));
    }
  };

  return {
    element,
    get stepId() {
      return stepId;
    },
    async open(p, id) {
      pipeline = p;
      stepId = id;
      element.hidden = false;
      title.textContent = id;
      body.replaceChildren(h('p', {}, 'Loading…'));
      await load();
      closeButton.focus();
    },
    refresh: load,
    close,
  };
}
