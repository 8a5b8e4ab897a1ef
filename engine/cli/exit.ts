/** Exit codes and the small helpers every command definition needs, kept free of heavy imports so `--help` starts fast. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, cancelled: 130, terminated: 143 } as const;

/** Thrown to end a command with an exit code after its message was printed. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
