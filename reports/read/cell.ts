import type { CellStatus } from '../../runner/result/manifest';

/** What a reader knows of a run besides its numbers: how it ended and whether it was valid. */
export interface CellVerdict {
  status: CellStatus;
  error?: string;
  /** null when there is no result to say */
  valid: boolean | null;
  invalidReasons: string[];
}

/** A run whose numbers are to be shown with a warning: it did not complete, or it was not valid. */
export function isFlagged(cell: CellVerdict): boolean {
  return cell.status !== 'completed' || cell.valid === false;
}

/** Why a flagged run is flagged, in one line; empty for a good one. */
export function flagReason(cell: CellVerdict): string {
  const parts: string[] = [];
  if (cell.status !== 'completed') parts.push(`${cell.status}${cell.error ? `: ${cell.error}` : ''}`);
  if (cell.valid === false) {
    parts.push(`invalid${cell.invalidReasons.length ? `: ${cell.invalidReasons.join('; ')}` : ''}`);
  }
  return parts.join(' — ');
}
