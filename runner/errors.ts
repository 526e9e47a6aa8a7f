/**
 * One error class per kind of failure. Only the CLI entry point turns them into a message and
 * an exit code.
 */

/** Bad input: a flag, a value or a file the user gave. Exit 2, one line, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** The machine cannot run what was asked (limits, missing tools). Exit 2: the user must act. */
export class PreflightError extends Error {
  override readonly name = 'PreflightError';
  readonly exitCode = 2;
}

/** Something failed while measuring (server died, Artillery failed). Exit 1. */
export class RunError extends Error {
  override readonly name = 'RunError';
  readonly exitCode = 1;
}

/** Errors whose message is meant for the user as is. */
export type UserFacingError = UsageError | PreflightError | RunError;

export function isUserFacing(err: unknown): err is UserFacingError {
  return err instanceof UsageError || err instanceof PreflightError || err instanceof RunError;
}
