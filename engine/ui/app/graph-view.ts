/**
 * The pipeline graph as SVG: status-coloured nodes, port-labelled edges, matrix groups
 * that fold and unfold, pan (drag, arrow keys), zoom (wheel, + and -), search by step
 * id, and keyboard navigation along the edges. Live status changes restyle nodes
 * in place; only a change of the graph's shape lays it out again.
 */
import { h, s, clear } from './dom.ts';
import { layoutGraph, foldedStatus, labelText, type Layout, type VisibleNode } from './layout.ts';
import type { GraphView, NodeStatus } from './api.ts';

export const STATUS_LABEL: Record<NodeStatus, string> = {
  'up-to-date': 'up to date',
  stale: 'stale',
  running: 'running',
  failed: 'failed',
  'never-run': 'never run',
};

/** Below this zoom, edge labels and second lines are hidden: they could not be read anyway. */
const FAR = 0.45;
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 3;
/** Room above an unfolded matrix's instances for its name and fold control (layout.ts spaces nodes for it). */
const CLUSTER_HEADER = 22;
/** Matrix groups up to this size start unfolded. */
const UNFOLDED_UP_TO = 8;

export interface GraphViewHandle {
  element: HTMLElement;
  show(graph: GraphView): void;
  setStatus(stepId: string, status: NodeStatus, reason: string): void;
  select(stepId: string | null): void;
  focusStep(stepId: string): void;
}

export function createGraphView(onOpen: (stepId: string) => void): GraphViewHandle {
  const viewport = s('g', { class: 'viewport' });
  const svg = s(
    'svg',
    { class: 'graph', role: 'group', 'aria-label': 'Pipeline graph. Arrow keys move between steps along edges; Enter opens a step; + and - zoom.', tabindex: 0 },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    viewport,
  );
  const search = h('input', { type: 'search', placeholder: 'Search steps ( / )', 'aria-label': 'Search steps by id', class: 'search' });
  const matches = h('span', { class: 'matches', 'aria-live': 'polite' });
  const zoomIn = h('button', { type: 'button', 'aria-label': 'Zoom in', title: 'Zoom in (+)' }, '+');
  const zoomOut = h('button', { type: 'button', 'aria-label': 'Zoom out', title: 'Zoom out (-)' }, '−');
  const fitButton = h('button', { type: 'button', 'aria-label': 'Fit to screen', title: 'Fit (0)' }, 'Fit');
  const legend = h('ul', { class: 'legend', 'aria-label': 'Status counts' });
  const toolbar = h('div', { class: 'toolbar' }, search, matches, zoomIn, zoomOut, fitButton, legend);
  const element = h('section', { class: 'graph-pane', 'aria-label': 'Pipeline graph' }, toolbar, svg);

  let graph: GraphView | undefined;
  let current: Layout | undefined;
  let expanded = new Set<string>();
  let shape = '';
  let selected: string | null = null;
  const nodeEls = new Map<string, SVGGElement>();
  const visibleOf = new Map<string, VisibleNode>();
  const view = { x: 0, y: 0, k: 1 };
  /** Roving tabindex: Tab enters the graph at one node (the last focused); arrows move from there. */
  let roving: string | null = null;
  const rove = (key: string) => {
    if (key === roving) return;
    if (roving) nodeEls.get(roving)?.setAttribute('tabindex', '-1');
    roving = key;
    nodeEls.get(key)?.setAttribute('tabindex', '0');
  };

  const applyView = () => {
    viewport.setAttribute('transform', `translate(${view.x},${view.y}) scale(${view.k})`);
    svg.classList.toggle('far', view.k < FAR);
  };
  const zoomAt = (factor: number, cx: number, cy: number) => {
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
    view.x = cx - ((cx - view.x) * k) / view.k;
    view.y = cy - ((cy - view.y) * k) / view.k;
    view.k = k;
    applyView();
  };
  const centre = () => ({ x: svg.clientWidth / 2, y: svg.clientHeight / 2 });
  const fit = () => {
    if (!current) return;
    const w = svg.clientWidth || 800;
    const hgt = svg.clientHeight || 600;
    view.k = Math.min(1, Math.max(0.2, Math.min(w / current.width, hgt / current.height) * 0.95));
    view.x = Math.max(8, (w - current.width * view.k) / 2);
    view.y = Math.max(8, (hgt - current.height * view.k) / 2);
    applyView();
  };
  const centreOn = (key: string) => {
    const v = visibleOf.get(key);
    if (!v) return;
    if (view.k < 0.8) view.k = 0.8;
    view.x = svg.clientWidth / 2 - v.x * view.k;
    view.y = svg.clientHeight / 2 - v.y * view.k;
    applyView();
  };

  const describe = (v: VisibleNode) =>
    v.folded
      ? `${v.folded}: matrix of ${v.members.length} steps, ${STATUS_LABEL[v.status]}. Enter unfolds it.`
      : `${v.members[0]!.id}: ${STATUS_LABEL[v.status]}. ${v.members[0]!.reason}`;

  const restyle = (v: VisibleNode) => {
    const el = nodeEls.get(v.key);
    if (!el) return;
    el.setAttribute('data-status', v.status);
    el.setAttribute('aria-label', describe(v));
    el.querySelector('title')!.textContent = describe(v);
    el.querySelector('.status-text')!.textContent = STATUS_LABEL[v.status];
  };

  const updateLegend = () => {
    clear(legend);
    if (!graph) return;
    for (const status of Object.keys(STATUS_LABEL) as NodeStatus[]) {
      const n = graph.nodes.filter((x) => x.status === status).length;
      if (n > 0) legend.append(h('li', { 'data-status': status }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), `${STATUS_LABEL[status]} ${n}`));
    }
  };

  const toggleGroup = (group: string) => {
    if (expanded.has(group)) expanded.delete(group);
    else expanded.add(group);
    render();
    const first = graph!.nodes.find((n) => n.group === group)!;
    const key = visibleOf.has(first.id) ? first.id : `group:${group}`;
    nodeEls.get(key)?.focus();
  };

  const activate = (v: VisibleNode) => {
    if (v.folded) toggleGroup(v.folded);
    else onOpen(v.members[0]!.id);
  };

  /** Arrow keys: right/left follow edges downstream/upstream, up/down move within the column. */
  const neighbour = (v: VisibleNode, key: string): VisibleNode | undefined => {
    if (!current) return undefined;
    const near = (list: VisibleNode[]) => list.sort((a, b) => Math.abs(a.y - v.y) - Math.abs(b.y - v.y))[0];
    if (key === 'ArrowRight') return near(current.edges.filter((e) => e.from === v.key).map((e) => visibleOf.get(e.to)!));
    if (key === 'ArrowLeft') return near(current.edges.filter((e) => e.to === v.key).map((e) => visibleOf.get(e.from)!));
    const column = current.nodes.filter((n) => Math.abs(n.x - v.x) < 1).sort((a, b) => a.y - b.y);
    const i = column.indexOf(v);
    return key === 'ArrowDown' ? column[i + 1] : column[i - 1];
  };

  const render = () => {
    if (!graph) return;
    const started = performance.now();
    current = layoutGraph(graph, expanded);
    performance.measure('graph-layout', { start: started, end: performance.now() });
    if (!current.nodes.some((v) => v.key === roving)) roving = current.nodes[0]?.key ?? null;
    clear(viewport);
    nodeEls.clear();
    visibleOf.clear();
    const clusters = s('g', { class: 'clusters' });
    const edges = s('g', { class: 'edges' });
    const labels = s('g', { class: 'edge-labels' });
    const nodes = s('g', { class: 'nodes' });
    for (const c of current.clusters) {
      // The header band above the instances holds the fold control.
      const top = c.y - c.height / 2 - CLUSTER_HEADER;
      const fold = s(
        'g',
        { class: 'cluster-toggle', role: 'button', tabindex: 0, 'aria-label': `Fold matrix ${c.group} (${c.count} instances) into one node` },
        s('text', { x: c.x - c.width / 2 + 8, y: top + 15, class: 'cluster-label' }, `${c.group} · matrix ×${c.count} · fold`),
      );
      fold.addEventListener('click', () => toggleGroup(c.group));
      fold.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' && ev.key !== ' ') return;
        ev.preventDefault();
        toggleGroup(c.group);
      });
      clusters.append(s('g', { class: 'cluster', 'data-group': c.group }, s('rect', { x: c.x - c.width / 2, y: top, width: c.width, height: c.height + CLUSTER_HEADER, rx: 10 }), fold));
    }
    for (const e of current.edges) {
      const d = e.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('');
      edges.append(s('path', { d, class: `edge${e.labels.includes('needs') ? ' needs' : ''}`, 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
      if (e.labelAt) labels.append(s('text', { x: e.labelAt.x, y: e.labelAt.y + 4, class: 'edge-label', 'text-anchor': 'middle' }, labelText(e)));
    }
    for (const v of current.nodes) {
      visibleOf.set(v.key, v);
      const x = v.x - v.width / 2;
      const y = v.y - v.height / 2;
      const g = s(
        'g',
        { class: `node${v.folded ? ' folded' : ''}`, tabindex: v.key === roving ? 0 : -1, role: 'button', 'aria-label': describe(v), 'data-step': v.folded ? '' : v.members[0]!.id, 'data-key': v.key, 'data-status': v.status },
        s('title', {}, describe(v)),
        s('rect', { x, y, width: v.width, height: v.height, rx: 8, class: 'box' }),
        s('rect', { x, y, width: 6, height: v.height, rx: 3, class: 'bar' }),
        s('text', { x: x + 14, y: y + 19, class: 'label' }, v.label.length > 38 ? `${v.label.slice(0, 37)}…` : v.label),
        s('text', { x: x + 14, y: y + 36, class: 'detail' }, s('tspan', { class: 'status-text' }, STATUS_LABEL[v.status]), ` · ${v.detail}`),
      );
      g.addEventListener('click', () => activate(v));
      g.addEventListener('focus', () => rove(v.key));
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          activate(v);
        } else if (ev.key.startsWith('Arrow')) {
          const next = neighbour(v, ev.key);
          ev.preventDefault();
          ev.stopPropagation();
          if (next) {
            nodeEls.get(next.key)!.focus();
            const r = nodeEls.get(next.key)!.getBoundingClientRect();
            const box = svg.getBoundingClientRect();
            if (r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom) centreOn(next.key);
          }
        }
      });
      nodeEls.set(v.key, g);
      nodes.append(g);
    }
    viewport.append(clusters, edges, labels, nodes);
    if (selected) nodeEls.get(selected)?.classList.add('selected');
    updateLegend();
    filter();
    performance.measure('graph-render', { start: started, end: performance.now() });
  };

  const filter = () => {
    const term = search.value.trim().toLowerCase();
    let n = 0;
    for (const [key, el] of nodeEls) {
      const hit = term !== '' && visibleOf.get(key)!.members.some((m) => m.id.toLowerCase().includes(term));
      if (hit) n++;
      el.classList.toggle('match', hit);
      el.classList.toggle('dim', term !== '' && !hit);
    }
    matches.textContent = term ? `${n} match${n === 1 ? '' : 'es'}` : '';
  };
  search.addEventListener('input', filter);
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' || !graph) return;
    const term = search.value.trim().toLowerCase();
    const hit = graph.nodes.find((m) => m.id.toLowerCase() === term) ?? graph.nodes.find((m) => m.id.toLowerCase().includes(term));
    if (hit) handle.focusStep(hit.id);
  });

  // Pan by dragging the background; zoom with the wheel around the pointer.
  let drag: { x: number; y: number; vx: number; vy: number } | undefined;
  svg.addEventListener('pointerdown', (ev) => {
    if ((ev.target as Element).closest('.node, .cluster-toggle')) return;
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y };
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add('panning');
  });
  svg.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    view.x = drag.vx + ev.clientX - drag.x;
    view.y = drag.vy + ev.clientY - drag.y;
    applyView();
  });
  const endDrag = () => {
    drag = undefined;
    svg.classList.remove('panning');
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const r = svg.getBoundingClientRect();
      zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    },
    { passive: false },
  );
  svg.addEventListener('keydown', (ev) => {
    const c = centre();
    const step = 60;
    if (ev.key === '+' || ev.key === '=') zoomAt(1.25, c.x, c.y);
    else if (ev.key === '-') zoomAt(0.8, c.x, c.y);
    else if (ev.key === '0') fit();
    else if (ev.key === 'ArrowLeft') view.x += step;
    else if (ev.key === 'ArrowRight') view.x -= step;
    else if (ev.key === 'ArrowUp') view.y += step;
    else if (ev.key === 'ArrowDown') view.y -= step;
    else return;
    ev.preventDefault();
    applyView();
  });
  zoomIn.addEventListener('click', () => zoomAt(1.25, centre().x, centre().y));
  zoomOut.addEventListener('click', () => zoomAt(0.8, centre().x, centre().y));
  fitButton.addEventListener('click', fit);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && !(ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement) && element.isConnected) {
      ev.preventDefault();
      search.focus();
    }
  });

  const handle: GraphViewHandle = {
    element,
    show(next) {
      const nextShape = JSON.stringify([next.nodes.map((n) => n.id), next.edges.map((e) => [e.from, e.to, e.labels])]);
      const first = graph === undefined || next.pipeline !== graph.pipeline;
      if (first) expanded = new Set([...new Set(next.nodes.filter((n) => n.matrix).map((n) => n.group))].filter((g) => next.nodes.filter((n) => n.group === g).length <= UNFOLDED_UP_TO));
      graph = next;
      if (nextShape !== shape || first) {
        shape = nextShape;
        render();
        if (first) fit();
        return;
      }
      // Same shape: restyle in place, keeping the view and focus.
      for (const v of current!.nodes) {
        v.members = v.members.map((m) => next.nodes.find((n) => n.id === m.id)!);
        v.status = foldedStatus(v.members);
        restyle(v);
      }
      updateLegend();
    },
    setStatus(stepId, status, reason) {
      const node = graph?.nodes.find((n) => n.id === stepId);
      if (!node || !current) return;
      node.status = status;
      node.reason = reason;
      for (const v of current.nodes) {
        const i = v.members.findIndex((m) => m.id === stepId);
        if (i < 0) continue;
        v.members[i] = node;
        v.status = foldedStatus(v.members);
        restyle(v);
      }
      updateLegend();
    },
    select(stepId) {
      for (const el of nodeEls.values()) el.classList.remove('selected');
      selected = stepId;
      if (stepId) nodeEls.get(stepId)?.classList.add('selected');
    },
    focusStep(stepId) {
      const node = graph?.nodes.find((n) => n.id === stepId);
      if (!node) return;
      if (!visibleOf.has(stepId) && node.matrix) {
        expanded.add(node.group);
        render();
      }
      centreOn(stepId);
      nodeEls.get(stepId)?.focus();
    },
  };
  return handle;
}
