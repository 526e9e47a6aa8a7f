import { PreflightError } from '../../errors';
import { findTopology, loadProfiles } from '../../config/profiles';
import { probeHost } from './host';
import { applyOnLinux, removeStale, type Isolation } from './linux';
import { planIsolation, requestedParts, type HostFacts, type ProfileRecord } from './plan';

export type { Isolation } from './linux';
export type { ProfileRecord, AppliedPart, SkippedPart, Role } from './plan';

function unconstrained(record: ProfileRecord): Isolation {
  return { record, serverHost: '127.0.0.1', prefix: () => [], memoryReport: () => null, cleanup: () => [] };
}

export interface ApplyOptions {
  /** refuse to run when any part of the profile cannot be applied */
  strict?: boolean;
  /** told about leftovers of killed runs that were removed */
  onStaleRemoved?: (what: string[]) => void;
  /** told about what could not be removed, and why; by default a line on stderr */
  onCleanupFailed?: (what: string[]) => void;
  host?: HostFacts;
}

/**
 * Applies a topology profile to this machine for one run. Throws UsageError for an unknown or
 * machine profile, PreflightError under `strict` when a part cannot be applied. The caller must
 * call `cleanup()`; it also runs when the process exits, as a last resort.
 */
export function applyProfile(name: string, o: ApplyOptions = {}): Isolation {
  const profiles = loadProfiles();
  const host = o.host ?? probeHost();
  const plan = planIsolation(findTopology(name), profiles, host);
  if (!plan.constrained) return unconstrained({ name, applied: [], skipped: [] });
  if (!plan.canIsolate) {
    if (o.strict) throw cannotApply(name, plan.cannotIsolateReason!);
    const reason = plan.cannotIsolateReason!;
    return unconstrained({ name, applied: [], skipped: requestedParts(plan).map((what) => ({ what, reason })) });
  }
  const failed =
    o.onCleanupFailed ?? ((what) => process.stderr.write(`profile: cleanup incomplete: ${what.join('; ')}\n`));
  const stale = removeStale(host);
  if (stale.removed.length > 0) o.onStaleRemoved?.(stale.removed);
  if (stale.failed.length > 0) failed(stale.failed);
  const iso = applyOnLinux(plan, host);
  const cleanup = () => {
    process.off('exit', cleanup);
    const left = iso.cleanup();
    if (left.length > 0) failed(left);
    return left;
  };
  process.once('exit', cleanup);
  if (o.strict && iso.record.skipped.length > 0) {
    cleanup();
    const s = iso.record.skipped[0]!;
    throw new PreflightError(
      `--strict: profile ${name}: ${s.what} cannot be applied: ${s.reason}. Drop --strict to run with it listed under skipped.`,
    );
  }
  return { ...iso, cleanup };
}

/**
 * Checks a profile without applying it: an unknown or machine profile is a UsageError, and
 * under `strict` a machine that cannot apply it at all is a PreflightError.
 */
export function checkProfile(name: string, strict: boolean, host: HostFacts = probeHost()): void {
  const plan = planIsolation(findTopology(name), loadProfiles(), host);
  if (strict && plan.constrained && !plan.canIsolate) throw cannotApply(name, plan.cannotIsolateReason!);
}

function cannotApply(name: string, reason: string): PreflightError {
  return new PreflightError(
    `--strict: profile ${name} cannot be applied here: ${reason}. Drop --strict to run unconstrained, with every part listed as skipped.`,
  );
}
