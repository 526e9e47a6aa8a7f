import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildPhases,
  mergeArtilleryReports,
  PROBE_HOLD_MARGIN_MS,
  PROBE_SPACING_MS,
  scheduledArrivals,
  shareOf,
  type PhaseSpec,
} from '../../runner/loadgen/artillery';
import { generatorCount } from '../../runner/run/generators';
import { GENERATOR_FD_MARGIN, MAX_GENERATORS, resolveRunOptions } from '../../runner/config/run-options';
import { UsageError } from '../../runner/errors';

const ms = (d: string | undefined) => Number.parseFloat(d ?? 'NaN');
const phase = (phases: PhaseSpec[], name: string) => phases.find((p) => p.name === name)!;
const base = { arrivalRate: 500 as const, holdSeconds: 10, probes: 10 };

function split(clients: number, warmup: number, count: number) {
  return Array.from({ length: count }, (_, index) =>
    buildPhases({ ...base, clients, warmup, generator: { index, count } }),
  );
}

describe('the arrival schedule split over generators', () => {
  it('shares add up exactly to the whole, and differ by one at most', () => {
    for (const [total, k] of [
      [0, 3],
      [1, 2],
      [300, 2],
      [10_001, 3],
      [50_000, 7],
      [5, 16],
    ] as const) {
      const shares = Array.from({ length: k }, (_, i) => shareOf(total, i, k));
      assert.equal(
        shares.reduce((a, b) => a + b, 0),
        total,
        `${total} over ${k}`,
      );
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
    }
  });

  it('splits the ramp and the warm-up exactly, each share over the whole schedule’s time', () => {
    const one = buildPhases({ ...base, clients: 10_001, warmup: 501 });
    const gens = split(10_001, 501, 3);
    for (const name of ['ramp', 'warmup'] as const) {
      const counts = gens.map((g) => phase(g, name).arrivalCount!);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        phase(one, name).arrivalCount,
      );
      // Each share's duration is a whole number of its own ticks (see scheduledArrivals), so the
      // shares last as long as the whole within one tick of theirs (6 ms for a third at 500/s).
      for (const g of gens) {
        const tickMs = ms(phase(g, name).duration) / phase(g, name).arrivalCount!;
        assert.ok(Math.abs(ms(phase(g, name).duration) - ms(phase(one, name).duration)) <= tickMs + 0.001);
      }
    }
    // Same phases in the same order in every generator, so holds start together.
    for (const g of gens)
      assert.deepEqual(
        g.map((p) => p.name),
        one.map((p) => p.name),
      );
  });

  it('gives the probes to generator 0 only; the others hold through them and a margin', () => {
    const gens = split(300, 0, 2);
    const probe0 = phase(gens[0]!, 'probe');
    assert.equal(probe0.arrivalCount, 10);
    assert.equal(ms(probe0.duration), 10 * PROBE_SPACING_MS);
    const probe1 = phase(gens[1]!, 'probe');
    assert.equal(probe1.arrivalCount, undefined, 'no probe arrivals in generator 1');
    assert.equal(ms(probe1.pause), ms(probe0.duration) + PROBE_HOLD_MARGIN_MS);
    assert.ok(PROBE_HOLD_MARGIN_MS > 0);
  });

  it('is today’s schedule with one generator', () => {
    assert.deepEqual(
      buildPhases({ ...base, clients: 300, warmup: 50, generator: { index: 0, count: 1 } }),
      buildPhases({ ...base, clients: 300, warmup: 50 }),
    );
  });
});

describe('the number of generators', () => {
  const limits = { openFilesSoft: 20_000 };
  it('is --generators when given', () => {
    assert.equal(generatorCount({ generators: 3, clients: 10, probes: 0 }, limits), 3);
  });

  it('defaults to 1, or the fewest that keep each under ulimit -n minus the margin', () => {
    const per = limits.openFilesSoft - GENERATOR_FD_MARGIN;
    assert.equal(generatorCount({ generators: null, clients: 10_000, probes: 10 }, limits), 1);
    assert.equal(generatorCount({ generators: null, clients: per - 10, probes: 10 }, limits), 1);
    assert.equal(generatorCount({ generators: null, clients: per - 9, probes: 10 }, limits), 2);
    assert.equal(generatorCount({ generators: null, clients: 50_000, probes: 10 }, limits), 3);
    assert.equal(
      generatorCount({ generators: null, clients: 100_000, probes: 10 }, { openFilesSoft: 1_024 }),
      MAX_GENERATORS,
    );
    assert.equal(generatorCount({ generators: null, clients: 50_000, probes: 10 }, { openFilesSoft: null }), 1);
  });

  it('refuses --generators out of range, and with a script of the user’s own', () => {
    assert.throws(
      () => resolveRunOptions({ lib: 'ws', clients: 10, generators: 17 }),
      (e: Error) => e instanceof UsageError && /--generators/.test(e.message),
    );
    assert.throws(
      () => resolveRunOptions({ lib: 'ws', clients: 10, generators: 0 }),
      (e: Error) => e instanceof UsageError && /--generators/.test(e.message),
    );
    assert.equal(resolveRunOptions({ lib: 'ws', clients: 10 }).generators, null);
    assert.equal(resolveRunOptions({ lib: 'ws', clients: 10, generators: '2' }).generators, 2);
  });
});

describe('merging Artillery reports of several generators', () => {
  it('adds counters and counts, keeps min/max exact, weights the mean, bounds percentiles', () => {
    const merged = mergeArtilleryReports([
      { counters: { 'vusers.created': 100, a: 1 }, summaries: { t: { count: 100, min: 2, max: 10, mean: 4, p99: 9 } } },
      null,
      { counters: { 'vusers.created': 200 }, summaries: { t: { count: 300, min: 1, max: 8, mean: 8, p99: 7 } } },
    ]);
    assert.deepEqual(merged, {
      counters: { 'vusers.created': 300, a: 1 },
      summaries: { t: { count: 400, min: 1, max: 10, mean: 7, p99: 9 } },
    });
    assert.equal(mergeArtilleryReports([null, null]), null);
  });

  it("makes Artillery's scheduler fire exactly the arrivals asked for, whatever the split and the rate", () => {
    for (const clients of [1, 7, 300, 9_999, 10_001, 50_000]) {
      for (const arrivalRate of [1, 300, 500, 2_000, 7_000, 'burst'] as const) {
        for (const count of [1, 2, 3, 7]) {
          for (let index = 0; index < count; index++) {
            const phases = buildPhases({ ...base, clients, arrivalRate, warmup: 0, generator: { index, count } });
            const ramp = phase(phases, 'ramp');
            if (ramp.arrivalCount === 0) continue; // a share of nothing: Artillery skips the phase
            assert.equal(
              scheduledArrivals(ramp),
              ramp.arrivalCount,
              `${clients} at ${arrivalRate}, ${index + 1}/${count}`,
            );
          }
        }
      }
    }
  });
});
