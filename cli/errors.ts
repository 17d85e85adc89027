/** Exit codes of the `parking` command. */
export const EXIT = {
  ok: 0,
  /** A failure while running. */
  failure: 1,
  /** A usage error or a bad setting. */
  usage: 2,
} as const;

/** A command line the program cannot run (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
