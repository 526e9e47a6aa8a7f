/**
 * `bench gate`: compares a current set of runs with a baseline and says whether anything got
 * worse beyond a threshold, and beyond the noise when there are enough trials to tell.
 * Returns a typed {@link GateReport} (report.ts); text.ts, markdown.ts and junit.ts render it.
 * What pairs (pairing.ts), how strictly (options.ts, from the metric registry) and how one
 * comparison is decided (verdict.ts) live beside this file, which puts them together.
 */
import { UsageError } from '../../runner/errors';
import { manifestRunArgs } from '../../runner/result/manifest';
import { count } from '../../runner/metrics/units';
import { loadInputs, type LoadedReport, type ReportCell } from '../read/read';
import { BOOTSTRAP_DEFAULTS, holm, smallestExactP, trialsToReach } from '../stats';
import { checkMachines } from './machine';
import {
  GATE_ALPHA,
  GATE_METRICS,
  GATE_MIN_CHANGE_BYTES,
  GATE_MIN_CHANGE_MS,
  GATE_MIN_TRIALS,
  GATE_SOAK_THRESHOLD_PER_1000,
  type GateOptions,
} from './options';
import { OPTION_FIELDS, idOf, keyOf, labeller, unusable, type GateKey } from './pairing';
import type { GateCell, GateFailure, GateReport } from './report';
import { compareSoaks } from './soaks';
import {
  decide,
  isTestable,
  measure,
  modeNote,
  sidesText,
  trialsText,
  type CompareSettings,
  type Measured,
  type PowerContext,
} from './verdict';

export * from './options';
export * from './pairing';
export * from './report';
export * from './soaks';

const cellName = (c: ReportCell) => `trial ${c.trial} (${c.file})`;

const shellWord = (w: string) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** `bench sweep --trials N --libs … --clients … --out <dir>` per scenario, for the cells given. */
function sweepCommands(cells: readonly GateCell[], trials: number, runArgs: readonly string[]): string[] {
  const scenarios = [...new Set(cells.map((c) => c.key.scenario))];
  return scenarios.map((scenario) => {
    const these = cells.filter((c) => c.key.scenario === scenario);
    const libs = [...new Set(these.map((c) => c.key.lib))].join(',');
    const levels = [...new Set(these.map((c) => c.key.clients))].sort((x, y) => x - y).join(',');
    const args = runArgs.length ? [...runArgs] : these.some((c) => c.key.deflate === true) ? ['--deflate'] : [];
    const words = ['bench', 'sweep', '--trials', String(trials), '--libs', libs, '--clients', levels];
    if (scenario !== 'echo') words.push('--scenario', scenario);
    return [...words, ...args].map(shellWord).join(' ') + ' --out <dir>';
  });
}

/**
 * Compares loaded runs, and loaded soaks on their leak slope (soaks.ts). Pure: nothing is read or
 * written. Throws a UsageError when the machines differ.
 */
export function compareRuns(
  baselineRuns: LoadedReport,
  currentRuns: LoadedReport,
  options: Omit<GateOptions, 'baseline' | 'current'>,
): GateReport {
  const s: CompareSettings = {
    thresholds: options.thresholds,
    alpha: options.alpha ?? GATE_ALPHA,
    bootstrap: { ...BOOTSTRAP_DEFAULTS, ...options.bootstrap },
    minChangeMs: options.minChangeMs ?? GATE_MIN_CHANGE_MS,
    minChangeBytes: options.minChangeBytes ?? GATE_MIN_CHANGE_BYTES,
  };
  const ignore = options.ignore ?? [];
  const failures: GateFailure[] = [];
  const notes: string[] = [];
  const machines = checkMachines(baselineRuns, currentRuns, ignore.includes('machine'), notes);

  const group = (cells: readonly ReportCell[]) => {
    const byId = new Map<string, { key: GateKey; cells: ReportCell[] }>();
    const keyless: ReportCell[] = [];
    for (const c of cells) {
      const key = keyOf(c, ignore);
      if (!key) {
        keyless.push(c);
        continue;
      }
      const id = idOf(key);
      if (!byId.has(id)) byId.set(id, { key, cells: [] });
      byId.get(id)!.cells.push(c);
    }
    return { byId, keyless };
  };
  const b = group(baselineRuns.cells);
  const c = group(currentRuns.cells);
  const label = labeller([...[...b.byId.values()].map((g) => g.key), ...[...c.byId.values()].map((g) => g.key)]);
  const looseName = (x: ReportCell) => `${x.series} · ${x.scenario} · ${count(x.clients)} clients`;

  for (const x of c.keyless) {
    failures.push({ kind: 'invalid', cell: looseName(x), message: `current ${cellName(x)}: ${unusable(x)}` });
  }
  for (const x of b.keyless) notes.push(`baseline ${looseName(x)} ${cellName(x)} left out: ${unusable(x)}`);

  const pending: { id: string; name: string; key: GateKey; nb: number; nc: number; measured: Measured[] }[] = [];
  for (const [id, bg] of b.byId) {
    const name = label(bg.key);
    const usableBaseline = bg.cells.filter((x) => {
      const why = unusable(x);
      if (why) notes.push(`baseline ${name} ${cellName(x)} left out: ${why}`);
      return !why;
    });
    const cg = c.byId.get(id);
    if (!cg) {
      const near = [...c.byId.values()].filter(
        (g) => g.key.lib === bg.key.lib && g.key.scenario === bg.key.scenario && g.key.clients === bg.key.clients,
      );
      const hint = near.length
        ? ` (current runs of ${bg.key.lib} at ${count(bg.key.clients)} clients differ in ${[
            ...new Set(
              near.flatMap((g) =>
                OPTION_FIELDS.filter((f) => g.key[f] !== bg.key[f]).map(
                  (f) => `${f}: baseline ${String(bg.key[f])}, current ${String(g.key[f])}`,
                ),
              ),
            ),
          ].join('; ')})`
        : '';
      failures.push({ kind: 'missing', cell: name, message: `missing in current: no run with these options${hint}` });
      continue;
    }
    const usableCurrent = cg.cells.filter((x) => {
      const why = unusable(x);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current ${cellName(x)}: ${why}` });
      return !why;
    });
    if (usableBaseline.length === 0) {
      notes.push(`${name}: not compared, the baseline has no usable run`);
      continue;
    }
    if (usableCurrent.length === 0) continue;
    const measured = GATE_METRICS.flatMap((m) => {
      const r = measure(m, usableBaseline, usableCurrent, bg.key, s);
      return r ? [r] : [];
    });
    pending.push({ id, name, key: bg.key, nb: usableBaseline.length, nc: usableCurrent.length, measured });
  }

  // A cell is tested only when its trials can reach alpha even if every comparison of the run
  // were in the family; the family itself is what is tested, so the correction is never weaker.
  const testable = pending.reduce((a, p) => a + p.measured.filter(isTestable).length, 0);
  const target = s.alpha / Math.max(1, testable);
  const powered = (nb: number, nc: number) =>
    nb >= GATE_MIN_TRIALS && nc >= GATE_MIN_TRIALS && smallestExactP(nb, nc) < target;
  const family = pending.flatMap((p, ci) =>
    p.measured.flatMap((m, mi) =>
      isTestable(m) && m.base.pValue !== null && powered(m.base.baseline.length, m.base.current.length)
        ? [{ at: `${ci}:${mi}`, p: m.base.pValue }]
        : [],
    ),
  );
  const adjusted = holm(family.map((f) => f.p));
  const adjustedAt = new Map(family.map((f, i) => [f.at, adjusted[i]!]));
  const power: PowerContext = {
    alpha: s.alpha,
    testable,
    tested: family.length,
    trialsNeeded: Math.max(GATE_MIN_TRIALS, trialsToReach(target) ?? 50),
  };
  const cells: GateCell[] = pending.map((p, ci) => ({
    id: p.id,
    label: p.name,
    key: p.key,
    baselineTrials: p.nb,
    currentTrials: p.nc,
    mode: powered(p.nb, p.nc) ? 'significance' : 'thresholds',
    modeNote: modeNote(p.nb, p.nc, powered(p.nb, p.nc), power),
    comparisons: p.measured.map((m, mi) => {
      const stat = m.base.metric.split('.')[1] ?? m.base.metric;
      const notGated = `not gated: ${sidesText(p.nb, p.nc)}; ${stat} needs ≥${power.trialsNeeded}`;
      return decide(m, adjustedAt.get(`${ci}:${mi}`) ?? null, notGated, s);
    }),
  }));

  for (const [id, cg] of c.byId) {
    if (b.byId.has(id)) continue;
    const name = label(cg.key);
    notes.push(`new in current, not compared: ${name} (${trialsText(cg.cells.length)})`);
    for (const x of cg.cells) {
      const why = unusable(x);
      if (why) failures.push({ kind: 'invalid', cell: name, message: `current ${cellName(x)}: ${why}` });
    }
  }
  const soakThresholdPer1000 = options.soakThresholdPer1000 ?? GATE_SOAK_THRESHOLD_PER_1000;
  const soakFailures: GateFailure[] = [];
  const soaks = compareSoaks(baselineRuns.soaks, currentRuns.soaks, soakThresholdPer1000, ignore, soakFailures, notes);
  const runFailures = [...failures];
  failures.push(...soakFailures);
  const all = cells.flatMap((x) => x.comparisons);
  if (all.length === 0 && soaks.length === 0 && failures.length === 0) {
    failures.push({
      kind: 'empty',
      cell: '–',
      message:
        'nothing compared: no usable current run or soak matches a baseline one. Check that both sides ran the same options.',
    });
  }
  const gated = all.filter((x) => x.gated).length;
  const regressed = all.filter((x) => x.regressed).length;
  const unsure = all.filter((x) => x.unsure).length;
  const soaksRegressed = soaks.filter((x) => x.regressed).length;
  const soaksUnsure = soaks.filter((x) => x.unsure).length;
  const verdict =
    regressed + soaksRegressed > 0 || failures.length > 0 ? 'regression' : unsure + soaksUnsure > 0 ? 'unsure' : 'pass';
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  // Each kind of input has its part of the summary; a gate given neither says what runs would.
  const soakInputs = baselineRuns.soaks.length + currentRuns.soaks.length > 0;
  const runInputs = all.length > 0 || baselineRuns.cells.length + currentRuns.cells.length > 0 || !soakInputs;
  const parts: string[] = [];
  if (runInputs) {
    parts.push(
      all.length && !gated ? 'nothing could be gated' : `${regressed} of ${gated} gated comparisons regressed`,
    );
  }
  if (unsure) parts.push(`${unsure} unsure (beyond the threshold, but the trials cannot tell it from noise)`);
  if (gated < all.length) parts.push(`${all.length - gated} not gated (too few trials)`);
  if (soakInputs) parts.push(`${soaksRegressed} of ${plural(soaks.length, 'soak comparison')} regressed`);
  if (soaksUnsure) {
    parts.push(
      `${plural(soaksUnsure, 'soak')} unsure (the slopes' intervals too wide to tell a change of the threshold)`,
    );
  }
  const kinds = (list: GateFailure[], k: GateFailure['kind']) => list.filter((f) => f.kind === k).length;
  const invalid = kinds(runFailures, 'invalid');
  const missing = kinds(runFailures, 'missing');
  if (invalid) parts.push(`${plural(invalid, 'unusable current run')}`);
  if (missing) parts.push(`${plural(missing, 'baseline cell')} missing in current`);
  const invalidSoaks = kinds(soakFailures, 'invalid');
  const missingSoaks = kinds(soakFailures, 'missing');
  if (invalidSoaks) parts.push(plural(invalidSoaks, 'unusable current soak'));
  if (missingSoaks) parts.push(`${plural(missingSoaks, 'baseline soak')} missing in current`);
  if (kinds(failures, 'empty')) parts.push('nothing compared');
  const runArgs = manifestRunArgs((currentRuns.manifest ?? baselineRuns.manifest)?.options);
  const untested = cells.filter((x) => x.mode === 'thresholds');
  const scope = [
    ...(runInputs ? [plural(cells.length, 'cell')] : []),
    ...(soakInputs ? [plural(soaks.length, 'soak pair')] : []),
  ];
  return {
    verdict,
    summary: `${verdict}: ${parts.join(', ')} (${scope.join(', ')})`,
    baseline: {
      inputs: baselineRuns.inputs,
      runs: baselineRuns.cells.length,
      soaks: baselineRuns.soaks.length,
      machines: machines.baseline,
    },
    current: {
      inputs: currentRuns.inputs,
      runs: currentRuns.cells.length,
      soaks: currentRuns.soaks.length,
      machines: machines.current,
    },
    warning: machines.warning,
    thresholds: { ...s.thresholds },
    alpha: s.alpha,
    testable,
    tested: family.length,
    trialsNeeded: power.trialsNeeded,
    moreTrials: untested.length ? sweepCommands(untested, power.trialsNeeded, runArgs) : [],
    bootstrap: { ...s.bootstrap },
    minChangeMs: s.minChangeMs,
    minChangeBytes: s.minChangeBytes,
    cells,
    soaks,
    soakThresholdPer1000,
    failures,
    notes,
  };
}

function load(side: 'baseline' | 'current', paths: readonly string[]): LoadedReport {
  try {
    return loadInputs(paths);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message.replace(/^report: /, `--${side}: `));
    throw err;
  }
}

/** Reads both sides (sweep folders, result folders or files) and compares them. */
export function runGate(options: GateOptions): GateReport {
  return compareRuns(load('baseline', options.baseline), load('current', options.current), options);
}

/**
 * 0 when the gate passes, 1 on a regression (the CLI maps usage errors to 2 itself). An unsure
 * verdict passes unless `failOnUnsure`: the data could not tell, and a gate that fails unchanged
 * code gets switched off. `bench compare` runs both sides until it can tell.
 */
export function gateExitCode(report: GateReport, failOnUnsure = false): 0 | 1 {
  if (report.verdict === 'regression') return 1;
  return report.verdict === 'unsure' && failOnUnsure ? 1 : 0;
}
