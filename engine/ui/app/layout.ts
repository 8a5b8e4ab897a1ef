/**
 * From the API's graph to what is drawn: matrix instances folded into one node per
 * group unless expanded, then laid out left to right by dagre (a maintained
 * Sugiyama-style layout; expanded groups become clusters around their instances).
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { GraphNode, GraphView, NodeStatus } from './api.ts';

export interface VisibleNode {
  key: string;
  label: string;
  /** Second line: plugin and version, or how many instances a folded group holds. */
  detail: string;
  status: NodeStatus;
  members: GraphNode[];
  /** Set on a folded matrix group. */
  folded?: string;
  /** The group of an instance drawn inside its expanded cluster. */
  cluster?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface VisibleEdge {
  from: string;
  to: string;
  labels: string[];
  points: { x: number; y: number }[];
  labelAt?: { x: number; y: number };
}

export interface Cluster {
  group: string;
  count: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  nodes: VisibleNode[];
  edges: VisibleEdge[];
  clusters: Cluster[];
  width: number;
  height: number;
}

/** Worst first: a folded group shows its most alarming member's status. */
const SEVERITY: NodeStatus[] = ['failed', 'running', 'stale', 'never-run', 'up-to-date'];

export function foldedStatus(members: readonly { status: NodeStatus }[]): NodeStatus {
  return SEVERITY.find((s) => members.some((m) => m.status === s)) ?? 'up-to-date';
}

const CHAR = 7.2;
/** Visible nodes past which layout trades some compactness for speed. */
const LARGE = 300;
const NODE_H = 46;
const LABEL_H = 14;

/** What an edge's label says: its ports and file links; a bare `needs` is drawn dashed instead. */
export function labelText(e: { labels: string[] }): string {
  return e.labels.filter((l) => l !== 'needs').join(', ');
}

export function groupsOf(graph: GraphView): Map<string, GraphNode[]> {
  const groups = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) groups.set(n.group, [...(groups.get(n.group) ?? []), n]);
  return groups;
}

/** The visible node a step is drawn as. */
export function visibleKey(node: GraphNode, groups: Map<string, GraphNode[]>, expanded: ReadonlySet<string>): string {
  return node.matrix && groups.get(node.group)!.length > 1 && !expanded.has(node.group) ? `group:${node.group}` : node.id;
}

export function layoutGraph(graph: GraphView, expanded: ReadonlySet<string>): Layout {
  const groups = groupsOf(graph);
  const visible = new Map<string, VisibleNode>();
  const keyOf = new Map<string, string>();
  for (const n of graph.nodes) {
    const key = visibleKey(n, groups, expanded);
    keyOf.set(n.id, key);
    const existing = visible.get(key);
    if (existing) {
      existing.members.push(n);
      continue;
    }
    const folded = key.startsWith('group:');
    const label = folded ? n.group : n.matrix ? Object.entries(n.matrix).map(([k, v]) => `${k}=${v}`).join(',') : n.id;
    visible.set(key, {
      key,
      label,
      detail: folded ? '' : `${n.plugin}@${n.version}`,
      status: n.status,
      members: [n],
      ...(folded ? { folded: n.group } : {}),
      ...(!folded && n.matrix && groups.get(n.group)!.length > 1 ? { cluster: n.group } : {}),
      x: 0,
      y: 0,
      width: 0,
      height: NODE_H,
    });
  }
  for (const v of visible.values()) {
    if (v.folded) v.detail = `matrix ×${v.members.length} · ${v.members[0]!.plugin}`;
    v.status = foldedStatus(v.members);
    v.width = Math.min(300, Math.max(120, Math.max(v.label.length * CHAR, v.detail.length * 6.2) + 28));
  }

  const edges = new Map<string, VisibleEdge>();
  for (const e of graph.edges) {
    const from = keyOf.get(e.from)!;
    const to = keyOf.get(e.to)!;
    if (from === to) continue;
    const id = `${from}\u0000${to}`;
    const known = edges.get(id);
    if (known) {
      for (const l of e.labels) if (!known.labels.includes(l)) known.labels.push(l);
    } else edges.set(id, { from, to, labels: [...e.labels], points: [] });
  }

  const clustered = [...visible.values()].some((v) => v.cluster);
  // Network simplex ranking and the order heuristic cost seconds past a few hundred
  // nodes; the tight-tree ranker lays out 1,000 in about one.
  const large = visible.size > LARGE;
  const g = new graphlib.Graph({ multigraph: false, compound: clustered });
  g.setGraph({ rankdir: 'LR', nodesep: clustered ? 48 : 18, ranksep: 70, edgesep: 8, marginx: 20, marginy: 20, ranker: large ? 'tight-tree' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const v of visible.values()) {
    g.setNode(v.key, { width: v.width, height: v.height });
    if (v.cluster) {
      const c = `cluster:${v.cluster}`;
      if (!g.hasNode(c)) g.setNode(c, { width: 0, height: 0 });
      g.setParent(v.key, c);
    }
  }
  for (const e of edges.values()) {
    const text = large ? '' : labelText(e);
    g.setEdge(e.from, e.to, { width: text ? Math.min(220, text.length * 6) : 0, height: text ? LABEL_H : 0, labelpos: 'c' });
  }
  layout(g, { disableOptimalOrderHeuristic: large });

  for (const v of visible.values()) {
    const n = g.node(v.key);
    v.x = n.x!;
    v.y = n.y!;
  }
  for (const [, e] of edges) {
    const l = g.edge(e.from, e.to);
    e.points = l.points ?? [];
    if (!labelText(e)) continue;
    // A large layout reserved no room for labels: they sit on the edge's middle point.
    const middle = e.points[Math.floor(e.points.length / 2)];
    if (l.x !== undefined && l.y !== undefined) e.labelAt = { x: l.x, y: l.y };
    else if (middle) e.labelAt = middle;
  }
  const clusters: Cluster[] = [];
  for (const [group, members] of groups) {
    const c = `cluster:${group}`;
    if (!g.hasNode(c)) continue;
    const n = g.node(c);
    clusters.push({ group, count: members.length, x: n.x!, y: n.y!, width: n.width, height: n.height });
  }
  const graphLabel = g.graph();
  return { nodes: [...visible.values()], edges: [...edges.values()], clusters, width: graphLabel.width ?? 0, height: graphLabel.height ?? 0 };
}
