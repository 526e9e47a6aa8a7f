// Progress on stderr: a bar on a terminal, a line per phase or cell elsewhere.
import type { Progress } from '../run/run';
import type { ResolvedRunOptions } from '../config/run-options';

export function progressReporter(o: ResolvedRunOptions): { update(p: Progress): void; stop(): void } {
  if (o.quiet) return { update() {}, stop() {} };
  const total = o.clients ?? 0;
  if (process.stderr.isTTY && total > 0) {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: '{phase} |{bar}| {value}/{total} connected · {failed} failed · {open} open · {elapsed}s',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { phase: 'starting', failed: 0, open: 0, elapsed: 0 });
    return {
      update: (p) =>
        bar.update(p.connected, {
          phase: p.phase.padEnd(8),
          failed: p.failed,
          open: p.open,
          elapsed: Math.round(p.elapsedMs / 1000),
        }),
      stop: () => bar.stop(),
    };
  }
  let lastPhase = '';
  return {
    update(p) {
      if (p.phase === lastPhase) return;
      lastPhase = p.phase;
      process.stderr.write(
        `[${Math.round(p.elapsedMs / 1000)}s] ${p.phase}: ${p.connected} connected, ${p.failed} failed\n`,
      );
    },
    stop() {},
  };
}

type CellEvent = import('../run/sweep').CellEvent;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Cell i of n, library, level, elapsed and ETA: a bar on a terminal, a line per cell elsewhere. */
export function sweepProgress(quiet: boolean): { start(e: CellEvent): void; end(e: CellEvent): void; stop(): void } {
  if (quiet) return { start() {}, end() {}, stop() {} };
  const { cellLabel } = require('../run/sweep') as typeof import('../run/sweep');
  const eta = (e: CellEvent, done: number) => (done === 0 ? '–' : clock((e.elapsedSeconds / done) * (e.total - done)));
  if (process.stderr.isTTY) {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'cell {value}/{total} |{bar}| {label} · {elapsed} elapsed · ETA {etaText}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      start(e) {
        const payload = {
          label: cellLabel(e.cell),
          elapsed: clock(e.elapsedSeconds),
          etaText: eta(e, e.position - 1),
        };
        if (!started) bar.start(e.total, e.position - 1, payload);
        else bar.update(e.position - 1, payload);
        started = true;
      },
      end(e) {
        bar.update(e.position, { elapsed: clock(e.elapsedSeconds), etaText: eta(e, e.position) });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  return {
    start(e) {
      process.stderr.write(
        `[${e.position}/${e.total}] ${cellLabel(e.cell)} · trial ${e.cell.trial} · ${clock(e.elapsedSeconds)} elapsed · ETA ${eta(e, e.position - 1)}\n`,
      );
    },
    end(e) {
      if (e.cell.status !== 'completed') process.stderr.write(`  ${e.cell.status}: ${e.cell.error ?? ''}\n`);
      else if (e.cell.valid === false)
        process.stderr.write(`  invalid: ${(e.cell.invalidReasons ?? []).join('; ') || 'see its result'}\n`);
    },
    stop() {},
  };
}
