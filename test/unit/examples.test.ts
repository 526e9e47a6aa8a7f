import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { buildParser } from '../../runner/cli/parser';
import { COMMANDS } from '../../bin/commands';

const WORKFLOW = path.resolve(__dirname, '../../../examples/github-actions/bench-gate.yml');

/** Every `npx bench …` command of a shell script, as argv, with line continuations joined. */
function benchCommands(script: string): string[][] {
  const joined = script.replace(/\\\n\s*/g, ' ');
  return [...joined.matchAll(/npx bench ([^\n)]*)/g)].map((m) =>
    // Shell words: quoted strings stay whole; variables become a sample path.
    [...m[1]!.matchAll(/"[^"]*"[^\s"]*|\S+/g)].map((w) => w[0].replace(/"/g, '').replace(/\$[A-Z_]+|\$t/g, 'x')),
  );
}

describe('examples/github-actions/bench-gate.yml', () => {
  const doc = YAML.parse(fs.readFileSync(WORKFLOW, 'utf8')) as {
    on: unknown;
    jobs: Record<string, { steps: { run?: string }[] }>;
  };
  const commands = Object.values(doc.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? benchCommands(s.run) : [])));

  it('compares the two checkouts alternately, one library at a time, failing the job on a regression', () => {
    assert.deepEqual(
      commands.map((c) => c[0]),
      ['compare'],
    );
    const script = Object.values(doc.jobs)
      .flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])))
      .join('\n');
    assert.match(script, /for lib in ws socketio sockjs; do/);
    assert.match(script, /\|\| status=1/);
    assert.match(script, /exit \$status/);
  });

  it('uses only flags bench accepts', async () => {
    for (const argv of commands) {
      // The parser throws a UsageError on an unknown flag or a missing value.
      await buildParser(argv, COMMANDS).parseAsync();
    }
  });
});
