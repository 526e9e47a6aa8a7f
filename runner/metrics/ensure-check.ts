/**
 * What an `--ensure` check is, as the result file stores it. Types only, and importing nothing,
 * so the result's schema can hold them without a cycle through the parser and the registry.
 */

export type Operator = '<=' | '>=' | '==' | '<' | '>';

/** One check: `metric op limit`, the limit in the metric's base unit (ms, bytes or a count). */
export interface EnsureCheck {
  /** as the user wrote it */
  expression: string;
  metric: string;
  operator: Operator;
  limit: number;
}

/** A check against one result. */
export interface EnsureOutcome extends EnsureCheck {
  /** the measured value; null when the result has none (which fails the check) */
  actual: number | null;
  ok: boolean;
}
