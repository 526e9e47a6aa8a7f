import type { EnsureOutcome } from '../metrics/ensure-check';
import { metric } from '../metrics/registry';
import { bytes } from '../metrics/units';

function show(name: string, value: number): string {
  const unit = metric(name)!.unit;
  if (unit === 'ms') return `${Math.round(value * 100) / 100} ms`;
  if (unit === 'bytes') return bytes(value);
  return String(Math.round(value * 10) / 10);
}

/** One line per --ensure check, for the summary on stderr. */
export function formatEnsure(outcomes: readonly EnsureOutcome[]): string {
  return outcomes
    .map(
      (o) =>
        `  ensure  ${o.ok ? 'ok  ' : 'FAIL'}  ${o.expression}: ${o.actual === null ? 'not measured' : show(o.metric, o.actual)}`,
    )
    .join('\n');
}
