/** Exit codes of the `parking` command. */
export const EXIT = {
  ok: 0,
  /** A failure while running. */
  failure: 1,
  /** A usage error or a bad setting. */
  usage: 2,
  /** The command's component is not built yet. */
  notAvailable: 3,
} as const;

/** A command line the program cannot run (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command exists but its component is not built yet (exit 3). */
export class NotAvailableError extends Error {
  override readonly name = 'NotAvailableError';
  constructor(
    readonly command: string,
    readonly what: string,
  ) {
    super(`parking ${command}: not available yet (${what})`);
  }
}
