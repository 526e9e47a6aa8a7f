import type { RunResult } from './build';
import type { EnsureCheck, Operator } from './expr';
import { metric } from './metrics';

/** A check against one result. */
export interface EnsureOutcome extends EnsureCheck {
  /** the measured value; null when the result has none (which fails the check) */
  actual: number | null;
  ok: boolean;
}

function holds(actual: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** Checks every expression against a result. A metric the result lacks fails its check. */
export function evaluateEnsure(checks: readonly EnsureCheck[], r: RunResult): EnsureOutcome[] {
  return checks.map((c) => {
    const actual = metric(c.metric)!.read(r);
    return { ...c, actual, ok: actual !== null && holds(actual, c.operator, c.limit) };
  });
}
