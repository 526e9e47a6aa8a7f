import type { EnsureCheck, EnsureOutcome, Operator } from '../metrics/ensure-check';
import { metric, type ResultFile } from '../metrics/registry';

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
export function evaluateEnsure(checks: readonly EnsureCheck[], r: ResultFile): EnsureOutcome[] {
  return checks.map((c) => {
    const actual = metric(c.metric)!.read(r);
    return { ...c, actual, ok: actual !== null && holds(actual, c.operator, c.limit) };
  });
}
