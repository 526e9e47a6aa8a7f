import type { GateReport } from './gate';
import { pValueText } from '../../runner/metrics/units';
import {
  change,
  effectText,
  intervalText,
  limit,
  resultText,
  soakDifferenceText,
  soakLimitText,
  soakLine,
  soakResultText,
  value,
} from './cells';

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot hold. */
export function escapeXml(text: unknown): string {
  return String(text ?? '')
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML: one testsuite per cell, one testcase per metric, a <failure> for each regression and
 * <skipped> for a metric the trials could not gate or could not tell from noise (unsure); a
 * `soaks` testsuite with one testcase per soak pair, failed when regressed, skipped when unsure.
 */
export function formatGateJUnit(r: GateReport): string {
  const x = escapeXml;
  const suites: string[] = [];
  const properties = r.warning
    ? `    <properties>\n      <property name="warning" value="${x(r.warning)}"/>\n    </properties>\n`
    : '';
  let tests = 0;
  let failed = 0;
  for (const cell of r.cells) {
    const cases = cell.comparisons.map((c) => {
      const detail = `baseline ${value(c.baselineMedian, c.unit)} (${c.baseline.length} trials), current ${value(c.currentMedian, c.unit)} (${c.current.length} trials), change ${change(c)}, limit ${limit(c)}, p ${pValueText(c.pValue)}, Holm p ${pValueText(c.adjustedP)}, Cliff's δ ${effectText(c.effect)}, interval ${intervalText(c)}; ${cell.modeNote}`;
      const body = c.regressed
        ? `\n      <failure type="regression" message="${x(`${c.metric} ${change(c)} (limit ${limit(c)}): ${resultText(c, r.alpha)}`)}">${x(detail)}</failure>\n    `
        : !c.gated || c.unsure
          ? `\n      <skipped message="${x(c.reason)}"/>\n    `
          : '';
      return `    <testcase classname="${x(`bench.gate.${cell.label}`)}" name="${x(c.metric)}" time="0">${body}</testcase>`;
    });
    const f = cell.comparisons.filter((c) => c.regressed).length;
    const skipped = cell.comparisons.filter((c) => !c.gated || c.unsure).length;
    tests += cases.length;
    failed += f;
    suites.push(
      `  <testsuite name="${x(cell.label)}" tests="${cases.length}" failures="${f}" errors="0" skipped="${skipped}">\n${properties}${cases.join('\n')}\n  </testsuite>`,
    );
  }
  if (r.soaks.length) {
    const cases = r.soaks.map((c) => {
      const body = c.regressed
        ? `\n      <failure type="regression" message="${x(`heap+external per 1,000 connections ${soakDifferenceText(c)} (limit ${soakLimitText(c)}): ${soakResultText(c)}`)}">${x(`${soakLine(c)}; ${c.reason}`)}</failure>\n    `
        : c.unsure
          ? `\n      <skipped message="${x(c.reason)}"/>\n    `
          : '';
      return `    <testcase classname="bench.gate.soaks" name="${x(c.label)}" time="0">${body}</testcase>`;
    });
    const f = r.soaks.filter((c) => c.regressed).length;
    const skipped = r.soaks.filter((c) => c.unsure).length;
    tests += cases.length;
    failed += f;
    suites.push(
      `  <testsuite name="soaks" tests="${cases.length}" failures="${f}" errors="0" skipped="${skipped}">\n${properties}${cases.join('\n')}\n  </testsuite>`,
    );
  }
  if (r.failures.length) {
    const cases = r.failures.map(
      (f) =>
        `    <testcase classname="bench.gate.runs" name="${x(`${f.kind}: ${f.cell}`)}" time="0">\n      <failure type="${x(f.kind)}" message="${x(f.message)}">${x(`${f.cell}: ${f.message}`)}</failure>\n    </testcase>`,
    );
    tests += cases.length;
    failed += cases.length;
    suites.push(
      `  <testsuite name="runs" tests="${cases.length}" failures="${cases.length}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench gate" tests="${tests}" failures="${failed}">\n${suites.join('\n')}\n</testsuites>\n`;
}
