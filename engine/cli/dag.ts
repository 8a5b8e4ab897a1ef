/** `tradepipe dag`: the step graph as text, Graphviz dot, Mermaid or JSON. */
import type { Pipeline } from '../pipeline.ts';
import type { EdgeKind } from '../graph.ts';

export type DagFormat = 'text' | 'dot' | 'mermaid' | 'json';

function edges(p: Pipeline): { from: string; to: string; kinds: EdgeKind[] }[] {
  const rank = new Map(p.order.map((id, i) => [id, i]));
  return p.graph
    .mapEdges((_, attrs, from, to) => ({ from, to, kinds: attrs.kinds }))
    .sort((a, b) => rank.get(a.from)! - rank.get(b.from)! || rank.get(a.to)! - rank.get(b.to)!);
}

export function renderDag(p: Pipeline, format: DagFormat): string {
  const quote = (s: string) => JSON.stringify(s);
  switch (format) {
    case 'json':
      return JSON.stringify({ pipeline: p.name, nodes: p.order.map((id) => ({ id, uses: p.steps.get(id)!.uses })), edges: edges(p) }, null, 2);
    case 'dot':
      return [
        `digraph ${quote(p.name)} {`,
        '  rankdir=LR;',
        ...p.order.map((id) => `  ${quote(id)} [label=${quote(`${id}\n${p.steps.get(id)!.uses}`)}];`),
        ...edges(p).map((e) => `  ${quote(e.from)} -> ${quote(e.to)}${e.kinds.includes('needs') && e.kinds.length === 1 ? ' [style=dashed]' : ''};`),
        '}',
      ].join('\n');
    case 'mermaid': {
      const ids = new Map(p.order.map((id, i) => [id, `s${i}`]));
      return [
        'graph LR',
        ...p.order.map((id) => `  ${ids.get(id)}["${id}<br/><small>${p.steps.get(id)!.uses}</small>"]`),
        ...edges(p).map((e) => `  ${ids.get(e.from)} ${e.kinds.length === 1 && e.kinds[0] === 'needs' ? '-.->' : '-->'} ${ids.get(e.to)}`),
      ].join('\n');
    }
    case 'text': {
      const width = Math.max(...p.order.map((id) => id.length));
      return p.order
        .map((id) => {
          const ups = p.graph.inNeighbors(id);
          return `${id.padEnd(width)}  ${p.steps.get(id)!.uses}${ups.length > 0 ? `  <- ${ups.join(', ')}` : ''}`;
        })
        .join('\n');
    }
  }
}
