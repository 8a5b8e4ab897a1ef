/**
 * Stable codes for diagnostics (like TypeScript's TS2304 or eemeli/yaml's error codes):
 * the message may be reworded, the code stays. The CLI prints both (`error TP0102: ...`);
 * tests and tools match the code. Numbers are grouped: 00xx YAML and `$ref`s, 01xx steps
 * and params, 02xx wiring and the graph, 03xx variables, overrides and composition, 04xx `schedule:`,
 * 05xx remotes, 06xx the Temporal executor.
 * Never renumber or reuse a code; add new ones at the end of their group.
 */
export const DIAGNOSTIC_CODES = {
  'yaml-syntax': 'TP0001',
  'unreadable-file': 'TP0002',
  'ref-cycle': 'TP0003',
  'duplicate-key': 'TP0004',
  'bad-ref': 'TP0005',
  'ref-target-missing': 'TP0006',
  'not-a-pipeline': 'TP0100',
  'unknown-plugin': 'TP0101',
  'unknown-param': 'TP0102',
  'missing-param': 'TP0103',
  'wrong-type': 'TP0104',
  'not-allowed-value': 'TP0105',
  'invalid-value': 'TP0106',
  'plugin-check': 'TP0107',
  'plugin-load': 'TP0108',
  'out-outside-project': 'TP0109',
  'unknown-field': 'TP0110',
  'unknown-input': 'TP0200',
  'input-takes-one': 'TP0201',
  'dangling-input': 'TP0202',
  'missing-input': 'TP0203',
  'unknown-need': 'TP0204',
  'duplicate-out': 'TP0205',
  cycle: 'TP0206',
  'unknown-variable': 'TP0300',
  'bad-override': 'TP0301',
  'nested-include': 'TP0302',
  'duplicate-step': 'TP0303',
  'bad-matrix-follow': 'TP0304',
  'unknown-matrix-key': 'TP0305',
  'unknown-summary-entry': 'TP0306',
  'step-gone': 'TP0307',
  'unused-variable': 'TP0308',
  'bad-time-zone': 'TP0400',
  'bad-cron': 'TP0401',
  'cron-never-fires': 'TP0402',
  'unknown-schedule-step': 'TP0403',
  'bad-remote': 'TP0500',
  'two-default-remotes': 'TP0501',
  'running-workflow-changed': 'TP0600',
} as const;

export type DiagnosticName = keyof typeof DIAGNOSTIC_CODES;
export type Severity = 'error' | 'warning';

/** `TP0102 unknown-param`. */
export function describeCode(name: DiagnosticName): string {
  return `${DIAGNOSTIC_CODES[name]} ${name}`;
}
