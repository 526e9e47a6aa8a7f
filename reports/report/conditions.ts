/** The report's conditions: machine, software, profile, run options and sweeps, and what differed. */
import * as path from 'node:path';
import { manifestRunArgs } from '../../runner/result/manifest';
import { profileName, type RunEnv } from '../../runner/result/env';
import { rateText, type LoadedReport, type RunOptions } from '../read/read';
import { escapeHtml as h } from './escape';
import { fmt, fmtClients } from './numbers';

const dl = (rows: [string, string][]) =>
  `<dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;

function optionsTable(options: Record<string, RunOptions>): string {
  const rows = Object.entries(options);
  if (rows.length === 0) return '<p>No result file records its run options.</p>';
  const head = [
    'series',
    'scenario file',
    'transport',
    'deflate',
    'arrival rate (clients/s)',
    'warm-up clients',
    'hold (s)',
    'probes',
    'ping interval (ms)',
    'echo every (ms)',
    'connect timeout (ms)',
    'target',
  ];
  const body = rows.map(([series, o]) => {
    const cells = [
      series,
      o.scenarioFile ? path.basename(String(o.scenarioFile)) : '–',
      o.transport,
      o.deflate ? 'on' : 'off',
      o.arrivalRate,
      o.warmup,
      o.holdSeconds,
      o.probes,
      o.pingIntervalMs,
      o.echoEveryMs,
      o.connectTimeoutMs,
      o.target ?? 'local server',
    ];
    return `<tr>${cells.map((v) => `<td>${h(v ?? '–')}</td>`).join('')}</tr>`;
  });
  return `<div class="scroll"><table><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** bench calibrate's score for the machine, or how to get one. */
function calibrationText(env: RunEnv): string {
  const c = env.calibration;
  if (!c) return 'not measured: run bench calibrate on that machine, then rerun';
  return `CPU ${c.cpu.roundsPerSecond} rounds/s (${c.cpu.workload}); ${c.connections.perSecond} ws connections/s on loopback; measured ${c.measuredAt}`;
}

/** What the hardware profile applied and skipped on the machine that ran. */
function profileSection(env: RunEnv): string {
  if (typeof env.profile === 'string' || (!env.profile.applied.length && !env.profile.skipped.length)) {
    return `<p>Profile <code>${h(profileName(env))}</code>: nothing applied; server and load generator shared this machine as it is.</p>`;
  }
  const { applied, skipped } = env.profile;
  const li = (what: string, text: string) => `<li><b>${h(what)}</b>: ${h(text)}</li>`;
  return [
    `<h3>Profile <code>${h(env.profile.name)}</code></h3>`,
    applied.length
      ? `<p>Applied:</p><ul>${applied.map((a) => li(a.what, a.detail)).join('')}</ul>`
      : '<p>Nothing applied.</p>',
    skipped.length
      ? `<p class="warn">Skipped:</p><ul class="warn">${skipped.map((a) => li(a.what, a.reason)).join('')}</ul>`
      : '<p>Nothing skipped.</p>',
  ].join('');
}

export function conditions(report: LoadedReport): string {
  const { env, options, differs } = report.conditions;
  const parts: string[] = ['<section id="conditions"><h2>Conditions</h2>'];
  if (env) {
    parts.push('<h3>Machine and software</h3>');
    parts.push(
      dl([
        ['Node', env.node],
        ['CPU', env.cpu],
        ['cores', String(env.cores)],
        ['memory', typeof env.memoryBytes === 'number' ? `${(env.memoryBytes / 1024 ** 3).toFixed(1)} GiB` : '–'],
        ['OS', env.os],
        ['kernel', env.kernel],
        ['arch', env.arch],
        ['fingerprint', env.fingerprint ?? '–'],
        ['calibration', calibrationText(env)],
        ['profile', profileName(env)],
      ]),
    );
    parts.push(profileSection(env));
    const versions = Object.entries(env.versions ?? {});
    parts.push('<h3>Versions</h3>');
    parts.push(
      versions.length
        ? `<ul class="versions">${versions.map(([k, v]) => `<li><code>${h(k)}</code> ${h(v)}</li>`).join('')}</ul>`
        : '<p>No versions recorded.</p>',
    );
  } else {
    parts.push('<p>No result file or manifest records the machine.</p>');
  }
  const diff = Object.entries(differs);
  if (diff.length) {
    parts.push('<h3 class="warn">Not the same in every result</h3><ul class="warn">');
    parts.push(...diff.map(([k, v]) => `<li><code>${h(k)}</code>: ${v.map(h).join(' | ')}</li>`));
    parts.push('</ul>');
  }
  parts.push('<h3>Run options</h3>', optionsTable(options));
  for (const { folder, manifest: m } of report.sweeps) {
    parts.push(`<h3>Sweep <code>${h(path.basename(folder))}</code></h3>`);
    parts.push(
      dl([
        ['preset', m.preset ?? 'none'],
        ['libraries', (m.options?.libs ?? []).join(', ')],
        ['client levels', (m.options?.clients ?? []).map(fmtClients).join(', ')],
        ...(Array.isArray(m.options?.arrivalRates)
          ? [['arrival rates', m.options.arrivalRates.map((r) => rateText(r)).join(', ')] as [string, string]]
          : []),
        ['trials', String(m.options?.trials ?? '–')],
        ['scenario', String(m.options?.scenario ?? '–')],
        ['bench run flags', manifestRunArgs(m.options).join(' ') || '(none)'],
        ['created', String(m.createdAt ?? '–')],
        ['updated', String(m.updatedAt ?? '–')],
        ['wall time', typeof m.wallSeconds === 'number' ? `${m.wallSeconds.toFixed(0)} s` : '–'],
      ]),
    );
    if (Array.isArray(m.assumptions) && m.assumptions.length) {
      parts.push('<p>What the preset assumes:</p><ul>', ...m.assumptions.map((a) => `<li>${h(a)}</li>`), '</ul>');
    }
    if (m.fixedCost) {
      const f = m.fixedCost;
      parts.push(
        `<p>Fixed cost per cell (medians over ${h(f.cells)} cells, not measurement): start-up ${h(fmt(f.startupSeconds))} s, teardown ${h(fmt(f.teardownSeconds))} s, overhead besides the scripted phases ${h(fmt(f.overheadSeconds))} s.</p>`,
      );
    }
  }
  parts.push(
    `<h3>Inputs</h3><ul>${report.inputs.map((i) => `<li><code>${h(i)}</code></li>`).join('')}</ul>`,
    '</section>',
  );
  return parts.join('\n');
}
