// docs/cli.md, generated from the flag table so that the two cannot drift (`npm run docs:cli`;
// test/unit/flags.test.ts fails when the file is stale).
import * as path from 'node:path';
import { packageRoot } from '../runner/paths';
import type { Command } from '../runner/cli/command';
import { COMMANDS } from './commands';
import { COMPARE_PASS_THROUGH, SWEEP_PASS_THROUGH } from '../runner/cli/flags';

/** Flags a command only passes on, listed in one sentence instead of the table. */
const PASSED: Record<string, string> = {
  [SWEEP_PASS_THROUGH]: "Passed to every cell's `bench run` when given (see `bench run`)",
  [COMPARE_PASS_THROUGH]: "Passed to both sides' `bench run` when given (see `bench run`)",
};

export const CLI_REFERENCE = path.join(packageRoot, 'docs', 'cli.md');

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;');

function commandSection(c: Command): string {
  const lines = [`## \`bench ${c.usage}\``, '', `${c.describe[0]!.toUpperCase()}${c.describe.slice(1)}.`, ''];
  for (const p of c.positionals ?? []) lines.push(`- \`${p.name}\`${p.array ? ' (one or more)' : ''}: ${p.describe}`);
  if (c.positionals?.length) lines.push('');
  const own = Object.entries(c.flags).filter(([, f]) => !(f.describe in PASSED));
  const passed = Object.keys(c.flags).filter((name) => c.flags[name]!.describe in PASSED);
  if (own.length > 0) {
    lines.push('| flag | takes | default | what it does |', '| --- | --- | --- | --- |');
    for (const [name, f] of own) {
      const kind = f.type === 'boolean' ? 'switch' : 'value';
      const type = f.array ? `${kind}, repeatable` : kind;
      const def = f.default === undefined ? '' : `\`${String(f.default)}\``;
      lines.push(`| \`--${name}\` | ${type} | ${def} | ${cell(f.describe)} |`);
    }
    lines.push('');
  }
  if (passed.length > 0) {
    lines.push(`${PASSED[c.flags[passed[0]!]!.describe]}: ${passed.map((n) => `\`--${n}\``).join(', ')}.`, '');
  }
  return lines.join('\n');
}

/** The whole flag reference, every command in the order `bench --help` lists them. */
export function renderFlagReference(): string {
  const head = [
    '# bench: command and flag reference',
    '',
    '<!-- Generated from runner/cli/flags.ts by `npm run docs:cli`; do not edit by hand. -->',
    '',
    'Every value is checked before anything starts; a bad one is a one-line error naming the flag and',
    'the fix, exit 2. Numbers are given as typed (`--hold 10`); booleans take `--no-` to turn them off.',
    '',
  ];
  return [...head, ...COMMANDS.map(commandSection)].join('\n').trimEnd() + '\n';
}

if (require.main === module) {
  const { writeFileAtomic } = require('../runner/result/write') as typeof import('../runner/result/write');
  writeFileAtomic(CLI_REFERENCE, renderFlagReference());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CLI_REFERENCE)}\n`);
}
