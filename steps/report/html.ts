/**
 * A tagged template that escapes every interpolated value unless it is already markup,
 * so labels, params and step ids from the pipeline can never inject HTML into a report.
 */
export interface Markup {
  readonly markup: string;
}

type Value = Markup | string | number | null | undefined | false | readonly Value[];

export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  values.forEach((value, i) => (out += render(value) + strings[i + 1]!));
  return { markup: out };
}

/** Markup produced by a trusted renderer (the charts' SVG). */
export function trusted(markup: string): Markup {
  return { markup };
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object') return (value as Markup).markup;
  return escape(String(value));
}
