/**
 * The tradepipe UI: pick a pipeline, see its graph with live statuses, open a step,
 * browse runs. Routes live in the URL hash (#/pipeline/<name>[/step/<id>|/runs[/<run>]]),
 * so reload and back work and a view can be linked.
 */
import { api, onEngineEvents, type CatalogueEntry, type EngineEvent, type NodeStatus } from './api.ts';
import { h } from './dom.ts';
import { createGraphView } from './graph-view.ts';
import { createPanel } from './panel.ts';
import { createRunsView } from './runs-view.ts';

type Route = { pipeline: string | null; view: 'graph' | 'runs'; step: string | null; run: string | null };

function parseRoute(): Route {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] !== 'pipeline' || !parts[1]) return { pipeline: null, view: 'graph', step: null, run: null };
  if (parts[2] === 'runs') return { pipeline: parts[1], view: 'runs', step: null, run: parts[3] ?? null };
  return { pipeline: parts[1], view: 'graph', step: parts[2] === 'step' ? (parts[3] ?? null) : null, run: null };
}

function href(r: Partial<Route> & { pipeline: string }): string {
  const base = `#/pipeline/${encodeURIComponent(r.pipeline)}`;
  if (r.view === 'runs') return `${base}/runs${r.run ? `/${encodeURIComponent(r.run)}` : ''}`;
  return r.step ? `${base}/step/${encodeURIComponent(r.step)}` : base;
}

/** What a finished step means for its node until the next plan arrives. */
const FINISHED: Record<string, NodeStatus | undefined> = { executed: 'up-to-date', cached: 'up-to-date', failed: 'failed' };

async function start(): Promise<void> {
  const config = await api.config();
  const pipelines = await api.pipelines();
  let route = parseRoute();

  const confirmDialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
  const askToRun = (pipeline: string, steps: string[]) => {
    const overrides = h('textarea', { id: 'overrides', rows: 3, placeholder: 'train.learning_rate=0.0003', spellcheck: 'false' });
    const ok = h('button', { type: 'button', class: 'confirm-run' }, 'Run');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const message = h('p', { class: 'message', 'aria-live': 'polite' });
    confirmDialog.replaceChildren(
      h('h2', { id: 'confirm-title' }, steps.length > 0 ? `Run ${steps.join(', ')} of ${pipeline}?` : `Run ${pipeline}?`),
      h('p', {}, 'Steps whose inputs did not change come from the cache.'),
      h('label', { for: 'overrides' }, '--set overrides, one per line (optional)'),
      overrides,
      message,
      h('div', { class: 'buttons' }, cancel, ok),
    );
    cancel.addEventListener('click', () => confirmDialog.close());
    ok.addEventListener('click', async () => {
      const set = overrides.value.split('\n').map((l) => l.trim()).filter(Boolean);
      try {
        await api.run(pipeline, steps, set);
        confirmDialog.close();
      } catch (error) {
        message.textContent = (error as Error).message;
      }
    });
    confirmDialog.showModal();
  };

  const graphView = createGraphView((stepId) => (location.hash = href({ pipeline: route.pipeline!, step: stepId })));
  const panel = createPanel({
    onClose: () => {
      const closed = route.step;
      if (route.pipeline && route.step) history.replaceState(null, '', href({ pipeline: route.pipeline }));
      route = parseRoute();
      graphView.select(null);
      if (closed) graphView.focusStep(closed);
    },
    ...(config.allowRun ? { runStep: (pipeline: string, stepId: string) => askToRun(pipeline, [stepId]) } : {}),
  });
  const runsView = createRunsView();

  const select = h('select', { id: 'pipeline-select', 'aria-label': 'Pipeline' }, ...pipelines.map((p) => h('option', { value: p.name }, p.error ? `${p.name} (does not load)` : `${p.name} (${p.steps} steps)`)));
  select.addEventListener('change', () => (location.hash = href({ pipeline: select.value, view: route.view })));
  const graphTab = h('a', { class: 'tab' }, 'Graph');
  const runsTab = h('a', { class: 'tab' }, 'Runs');
  const runButton = config.allowRun ? h('button', { type: 'button', class: 'run-pipeline' }, 'Run pipeline…') : null;
  runButton?.addEventListener('click', () => route.pipeline && askToRun(route.pipeline, []));
  const live = h('span', { class: 'live', 'aria-live': 'polite' });
  const problem = h('div', { class: 'problem', role: 'alert', hidden: true });
  const main = h('main', { id: 'main' });
  document.body.append(
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('header', { class: 'top' }, h('h1', {}, 'tradepipe'), select, h('nav', { 'aria-label': 'Views' }, graphTab, runsTab), ...(runButton ? [runButton] : []), live),
    problem,
    main,
    confirmDialog,
  );

  const entry = (name: string): CatalogueEntry | undefined => pipelines.find((p) => p.name === name);
  const loadGraph = async () => {
    const name = route.pipeline!;
    const e = entry(name);
    problem.hidden = !e?.error;
    if (e?.error) return void (problem.textContent = e.error);
    try {
      graphView.show(await api.graph(name));
    } catch (error) {
      problem.hidden = false;
      problem.textContent = (error as Error).message;
    }
  };

  const show = async () => {
    route = parseRoute();
    if (!route.pipeline) {
      const first = pipelines.find((p) => p.name === 'full_strategy' && !p.error) ?? pipelines.find((p) => !p.error) ?? pipelines[0];
      if (first) history.replaceState(null, '', href({ pipeline: first.name }));
      route = parseRoute();
      if (!route.pipeline) return void main.replaceChildren(h('p', {}, 'No pipelines found in pipelines.d/.'));
    }
    select.value = route.pipeline!;
    graphTab.setAttribute('href', href({ pipeline: route.pipeline! }));
    runsTab.setAttribute('href', href({ pipeline: route.pipeline!, view: 'runs' }));
    for (const [tab, on] of [[graphTab, route.view === 'graph'], [runsTab, route.view === 'runs']] as const) {
      if (on) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (route.view === 'runs') {
      main.replaceChildren(runsView.element);
      await runsView.show(route.pipeline!, route.run);
      return;
    }
    if (!graphView.element.isConnected) main.replaceChildren(h('div', { class: 'workspace' }, graphView.element, panel.element));
    await loadGraph();
    graphView.select(route.step);
    if (route.step && route.step !== panel.stepId) await panel.open(route.pipeline!, route.step);
    else if (!route.step && panel.stepId) panel.close();
  };

  let replan: ReturnType<typeof setTimeout> | undefined;
  const onEvent = (e: EngineEvent) => {
    const mine = pipelines.find((p) => p.name === route.pipeline)?.file === e.pipeline;
    if (!mine) return;
    if (e.type === 'step-started') graphView.setStatus(e.step, 'running', `running in run ${e.runId}`);
    if (e.type === 'step-finished') {
      const status = FINISHED[e.status];
      if (status) graphView.setStatus(e.step, status, `${e.status} in run ${e.runId}`);
    }
    if (e.type === 'run-started') live.textContent = `run ${e.runId} started`;
    if (e.type === 'run-finished') {
      live.textContent = `run ${e.runId} ${e.status}`;
      // The plan is the truth once a run ends: statuses, reasons, the open panel.
      clearTimeout(replan);
      replan = setTimeout(() => {
        if (route.view === 'graph') void loadGraph().then(() => (panel.stepId ? panel.refresh() : undefined));
      }, 100);
    }
    if (route.view === 'runs' && (e.type === 'run-started' || e.type === 'step-finished' || e.type === 'run-finished')) void runsView.refresh();
  };
  onEngineEvents(onEvent);
  addEventListener('hashchange', () => void show());
  await show();
}

void start().catch((error: unknown) => {
  document.body.append(h('p', { class: 'error', role: 'alert' }, `The UI could not start: ${(error as Error).message}`));
});
