import assert from 'node:assert/strict';
import { UsageError } from '../../runner/errors';

/** Runs `fn`, which must throw a UsageError, and returns its message for an exact comparison. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a UsageError');
}
