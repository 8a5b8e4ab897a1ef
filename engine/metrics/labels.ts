/**
 * How a step's tracked metric carries Prometheus labels: `name/label:value/label:value`.
 * MLflow accepts the key as it is (letters, digits, `_ - . / :`), and `tradepipe metrics`
 * exports it as the gauge `tradepipe_<plugin>_<name>{label="value",...}`. The engine knows
 * nothing of what the names mean; plugins choose them.
 */

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface LabelledMetric {
  name: string;
  labels: Record<string, string>;
}

/** The tracked metric key for `name` with `labels`; `/` and `:` in values become `_`. */
export function labelledMetric(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = [name];
  for (const [label, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(label)) throw new Error(`metric label \`${label}\` must match ${LABEL_NAME}`);
    parts.push(`${label}:${value.replace(/[/:]/g, '_')}`);
  }
  return parts.join('/');
}

/** The inverse of labelledMetric; a segment that is not `label:value` stays part of the name. */
export function parseLabelledMetric(key: string): LabelledMetric {
  const [name, ...rest] = key.split('/');
  const labels: Record<string, string> = {};
  const nameParts = [name!];
  for (const segment of rest) {
    const colon = segment.indexOf(':');
    const label = segment.slice(0, colon);
    if (colon > 0 && LABEL_NAME.test(label)) labels[label] = segment.slice(colon + 1);
    else nameParts.push(segment);
  }
  return { name: nameParts.join('_'), labels };
}
