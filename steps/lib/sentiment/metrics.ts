/**
 * Classification metrics with scikit-learn's semantics (precision_recall_fscore_support,
 * accuracy_score, confusion_matrix): a ratio with a zero denominator is 0 (sklearn's
 * zero_division default after its warning); f1 = 2·tp / (2·tp + fp + fn); macro and
 * weighted averages run over the labels present in y_true or y_pred, as sklearn does
 * when `labels` is not given.
 */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  weighted_f1: number;
  macro_f1: number;
  accuracy: number;
  per_class: Record<string, ClassMetrics>;
  /** Rows = true label, columns = predicted, both in `labels` order. */
  confusion_matrix: number[][];
  labels: string[];
  count: number;
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

/** `truth` and `predicted` are class indices into `labels`. */
export function classificationMetrics(labels: readonly string[], truth: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]!]![predicted[i]!]! += 1;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClass: Record<string, ClassMetrics> = {};
  const present: ClassMetrics[] = [];
  labels.forEach((label, j) => {
    const tp = confusion[j]![j]!;
    const support = confusion[j]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[j]!, 0);
    const fp = predictedCount - tp;
    const fn = support - tp;
    const metrics = { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn), support };
    perClass[label] = metrics;
    if (support > 0 || predictedCount > 0) present.push(metrics);
  });
  const totalSupport = present.reduce((a, m) => a + m.support, 0);
  return {
    weighted_f1: ratio(present.reduce((a, m) => a + m.f1 * m.support, 0), totalSupport),
    macro_f1: ratio(present.reduce((a, m) => a + m.f1, 0), present.length),
    accuracy: ratio(correct, truth.length),
    per_class: perClass,
    confusion_matrix: confusion,
    labels: [...labels],
    count: truth.length,
  };
}

/** The metrics as a flat object of numbers (what registry.promote compares): the averages, count, and per class `f1_<label>`, `precision_<label>`, `recall_<label>`, `support_<label>`. */
export function flatStats(m: ClassificationMetrics): Record<string, number> {
  const stats: Record<string, number> = { weighted_f1: m.weighted_f1, macro_f1: m.macro_f1, accuracy: m.accuracy, count: m.count };
  for (const [label, c] of Object.entries(m.per_class)) {
    for (const key of ['f1', 'precision', 'recall', 'support'] as const) stats[`${key}_${label}`] = c[key];
  }
  return stats;
}

/** Index of the largest value in each row of a row-major [rows, k] matrix (first wins ties, as numpy's argmax). */
export function argmaxRows(values: Float32Array, k: number): Int32Array {
  const rows = values.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[r * k + j]! > values[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}
