/**
 * A pipeline's runs: the history, one run's steps as a Gantt timeline (parallelism and
 * cache hits at a glance), and two runs side by side (param and metric differences).
 */
import { api, type RunComparison, type RunRow, type Timeline } from './api.ts';
import { h, s, clear } from './dom.ts';
import { formatDuration } from '../../format.ts';

const ROW = 22;
const LEFT = 230;
const WIDTH = 900;

export interface RunsViewHandle {
  element: HTMLElement;
  show(pipeline: string, runId: string | null): Promise<void>;
  /** Refreshes what is shown (an engine event arrived). */
  refresh(): Promise<void>;
}

export function gantt(t: Timeline, now: number): SVGSVGElement {
  const steps = [...t.steps].sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity) || a.id.localeCompare(b.id));
  const end = Math.max(1, ...steps.map((x) => x.end ?? (x.start !== null && t.startedAt !== null ? now - t.startedAt : 0)));
  const scale = (ms: number) => LEFT + (ms / end) * (WIDTH - LEFT - 20);
  const height = steps.length * ROW + 40;
  const svg = s('svg', { class: 'gantt', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: 'img', 'aria-label': `Timeline of run ${t.runId}: ${steps.length} steps over ${formatDuration(end)}` });
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const ms = (end * i) / ticks;
    svg.append(s('line', { x1: scale(ms), x2: scale(ms), y1: 16, y2: height - 4, class: 'tick' }), s('text', { x: scale(ms), y: 12, class: 'tick-label', 'text-anchor': 'middle' }, formatDuration(ms)));
  }
  steps.forEach((step, i) => {
    const y = 24 + i * ROW;
    svg.append(s('text', { x: LEFT - 8, y: y + 13, class: 'gantt-step', 'text-anchor': 'end' }, step.id.length > 34 ? `${step.id.slice(0, 33)}…` : step.id));
    if (step.start === null) return;
    const x0 = scale(step.start);
    const x1 = scale(step.end ?? (t.startedAt === null ? step.start : now - t.startedAt));
    const bar = s('rect', { x: x0, y: y + 2, width: Math.max(3, x1 - x0), height: ROW - 6, rx: 3, class: 'gantt-bar', 'data-status': step.status, 'data-step': step.id });
    bar.append(s('title', {}, `${step.id}: ${step.status}${step.end !== null ? `, ${formatDuration(step.end - step.start)}` : ''}${step.reason ? ` — ${step.reason}` : ''}`));
    svg.append(bar);
  });
  return svg;
}

function comparison(c: RunComparison): HTMLElement {
  const onlyDiffs = h('input', { type: 'checkbox', id: 'only-diffs', checked: true });
  const body = h('div');
  const draw = () => {
    const params = c.params.filter((p) => !onlyDiffs.checked || p.differs);
    const metrics = c.metrics.filter((m) => !onlyDiffs.checked || m.differs);
    body.replaceChildren(
      h('h3', {}, 'Params'),
      params.length === 0 ? h('p', {}, 'No differences.') : h('table', { class: 'compare params-diff' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'param'), ...c.runs.map((r) => h('th', { scope: 'col' }, r)))), h('tbody', {}, ...params.map((p) => h('tr', { class: p.differs ? 'differs' : '' }, h('th', { scope: 'row' }, p.key), ...p.values.map((v) => h('td', {}, v ?? '–')))))),
      h('h3', {}, 'Metrics (latest)'),
      metrics.length === 0
        ? h('p', {}, 'No differences.')
        : h('table', { class: 'compare metrics-diff' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'metric'), ...c.runs.map((r) => h('th', { scope: 'col' }, r)), h('th', { scope: 'col' }, 'Δ'))), h('tbody', {}, ...metrics.map((m) => h('tr', { class: m.differs ? 'differs' : '' }, h('th', { scope: 'row' }, m.key), ...m.values.map((v) => h('td', { class: 'num' }, v === null ? '–' : v.toPrecision(6))), h('td', { class: 'num' }, m.deltas[1] === null || m.deltas[1] === undefined ? '–' : `${m.deltas[1] >= 0 ? '+' : ''}${m.deltas[1].toPrecision(4)}`))))),
    );
  };
  onlyDiffs.addEventListener('change', draw);
  draw();
  return h('section', { class: 'comparison', 'aria-label': 'Run comparison' }, h('h2', {}, `Compare ${c.runs.join(' ↔ ')}`), h('label', {}, onlyDiffs, ' only differences'), body);
}

export function createRunsView(): RunsViewHandle {
  const list = h('div', { class: 'run-list' });
  const detail = h('div', { class: 'run-detail' });
  const element = h('section', { class: 'runs-pane', 'aria-label': 'Runs' }, list, detail);
  let pipeline = '';
  let selectedRun: string | null = null;
  const picked = new Set<string>();

  const drawList = (rows: RunRow[]) => {
    const compareButton = h('button', { type: 'button', class: 'compare-button', disabled: picked.size !== 2 }, 'Compare the two checked runs');
    compareButton.addEventListener('click', async () => {
      const [a, b] = [...picked];
      detail.replaceChildren(h('p', {}, 'Comparing…'));
      try {
        detail.replaceChildren(comparison(await api.compare(a!, b!)));
      } catch (error) {
        detail.replaceChildren(h('p', { class: 'error' }, (error as Error).message));
      }
    });
    const table = h(
      'table',
      { class: 'runs' },
      h('caption', {}, `${rows.length} run${rows.length === 1 ? '' : 's'} of ${pipeline}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'compare')), h('th', { scope: 'col' }, 'run'), h('th', { scope: 'col' }, 'started'), h('th', { scope: 'col' }, 'status'), h('th', { scope: 'col' }, 'steps'))),
      h(
        'tbody',
        {},
        ...rows.map((r) => {
          const box = h('input', { type: 'checkbox', 'aria-label': `compare ${r.runId}`, checked: picked.has(r.runId), 'data-run': r.runId });
          box.addEventListener('change', () => {
            if (box.checked) picked.add(r.runId);
            else picked.delete(r.runId);
            compareButton.disabled = picked.size !== 2;
          });
          const counts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(', ');
          return h('tr', { class: r.runId === selectedRun ? 'current' : '' }, h('td', {}, box), h('td', {}, h('a', { href: `#/pipeline/${encodeURIComponent(pipeline)}/runs/${encodeURIComponent(r.runId)}` }, r.runId)), h('td', {}, r.startedAt.replace('T', ' ').slice(0, 19)), h('td', { 'data-outcome': r.status }, r.status), h('td', {}, counts));
        }),
      ),
    );
    list.replaceChildren(h('h2', {}, 'Runs'), compareButton, table);
  };

  const drawRun = async () => {
    if (!selectedRun) return void detail.replaceChildren(h('p', {}, 'Pick a run to see its timeline, or check two to compare them.'));
    const t = await api.timeline(selectedRun);
    const counts = new Map<string, number>();
    for (const x of t.steps) counts.set(x.status, (counts.get(x.status) ?? 0) + 1);
    clear(detail);
    detail.append(
      h('h2', {}, `Run ${t.runId}`),
      h('p', {}, `${t.status} — ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`),
      h('ul', { class: 'legend' }, ...['executed', 'cached', 'running', 'failed', 'skipped'].map((k) => h('li', { 'data-status': k }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), k))),
      h('div', { class: 'scroll' }, gantt(t, Date.now())),
    );
  };

  const refresh = async () => {
    try {
      drawList(await api.runs(pipeline));
      await drawRun();
    } catch (error) {
      detail.replaceChildren(h('p', { class: 'error' }, (error as Error).message));
    }
  };
  return {
    element,
    async show(p, runId) {
      if (p !== pipeline) picked.clear();
      pipeline = p;
      selectedRun = runId;
      await refresh();
    },
    refresh,
  };
}
