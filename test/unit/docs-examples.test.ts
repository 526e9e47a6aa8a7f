import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCHEMA_VERSION } from '../../runner/result/schema';
import {
  BLOCKS,
  blockNames,
  EXAMPLE_FILES,
  EXAMPLES_RECORD,
  readBlock,
  replaceBlock,
  schemaVersionsIn,
  type ExamplesRecord,
} from '../../bench/docs-blocks';

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const DOCS = fs.readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`);
const REMAKE = 'Run npm run docs:examples and commit what it writes.';

function loadRecord(): ExamplesRecord {
  assert.ok(fs.existsSync(path.join(root, EXAMPLES_RECORD)), `${EXAMPLES_RECORD} is missing. ${REMAKE}`);
  return JSON.parse(read(EXAMPLES_RECORD)) as ExamplesRecord;
}

/** The schemaVersions the committed text of a generated file records: its marked blocks, else all of it. */
function recordedVersions(file: string): number[] {
  const text = read(file);
  const blocks = BLOCKS.filter((b) => b.file === file);
  return blocks.length ? blocks.flatMap((b) => schemaVersionsIn(readBlock(text, b))) : schemaVersionsIn(text);
}

describe('docs/ examples (npm run docs:examples)', () => {
  it('lists every file the script makes, and nothing else', () => {
    const record = loadRecord();
    assert.deepEqual(Object.keys(record.files).sort(), [...EXAMPLE_FILES].sort(), REMAKE);
    for (const file of EXAMPLE_FILES) assert.ok(fs.existsSync(path.join(root, file)), `${file} exists`);
  });

  it('was made from runs of the result schemaVersion the code writes', () => {
    const record = loadRecord();
    assert.equal(record.schemaVersion, SCHEMA_VERSION, `${EXAMPLES_RECORD}: ${REMAKE}`);
    for (const [file, entry] of Object.entries(record.files)) {
      assert.equal(entry.schemaVersion, SCHEMA_VERSION, `${file}: ${REMAKE}`);
      assert.ok(entry.commands.length > 0, `${file} names the commands that made it`);
    }
  });

  it('each page, summary and block says the schemaVersion of its runs, the one the code writes', () => {
    for (const file of EXAMPLE_FILES.filter((f) => !f.endsWith('.png'))) {
      const versions = recordedVersions(file);
      assert.ok(versions.length > 0, `${file} records no schemaVersion: it predates the record. ${REMAKE}`);
      for (const v of versions) {
        assert.equal(v, SCHEMA_VERSION, `${file} shows runs of schemaVersion ${v}. ${REMAKE}`);
      }
    }
  });

  it('each picture is a screenshot of a page made in the same run', () => {
    const record = loadRecord();
    for (const png of EXAMPLE_FILES.filter((f) => f.endsWith('.png'))) {
      const page = record.files[png]!.screenshotOf;
      assert.equal(page, png.replace(/\.png$/, '.html'), png);
      assert.deepEqual(record.files[png]!.commands.slice(0, -1), record.files[page!]!.commands, png);
    }
  });

  it('every page and picture in docs/, and every marked block, is one the script makes', () => {
    const record = loadRecord();
    for (const file of DOCS.filter((f) => /\.(html|png)$/.test(f))) {
      assert.ok(EXAMPLE_FILES.includes(file), `${file} is not made by npm run docs:examples`);
    }
    for (const file of DOCS.filter((f) => f.endsWith('.md'))) {
      for (const name of blockNames(read(file))) {
        assert.ok(
          BLOCKS.some((b) => b.file === file && b.name === name),
          `${file}: block ${name} is not one the script fills`,
        );
      }
    }
    for (const b of BLOCKS) assert.deepEqual(record.files[b.file]?.blocks, [b.name], `${b.file} ${b.name}`);
  });
});

describe('replaceBlock', () => {
  const block = { file: 'x.md', name: 'demo' };
  const page = 'before\n<!-- docs:examples demo -->\nold\n<!-- /docs:examples -->\nafter\n';

  it('replaces what is between the markers and nothing else', () => {
    assert.equal(
      replaceBlock(page, block, 'new\n'),
      'before\n<!-- docs:examples demo -->\nnew\n<!-- /docs:examples -->\nafter\n',
    );
    assert.equal(replaceBlock(replaceBlock(page, block, 'a'), block, 'b'), replaceBlock(page, block, 'b'));
  });

  it('says which markers are missing', () => {
    assert.throws(
      () => replaceBlock('no markers', block, 'x'),
      /^Error: x\.md has no block <!-- docs:examples demo --> … <!-- \/docs:examples -->\./,
    );
  });
});

describe('schemaVersionsIn', () => {
  it('reads the pages’ meta and the summaries’ comments', () => {
    assert.deepEqual(schemaVersionsIn('<meta name="bench-schema-version" content="1,2">'), [1, 2]);
    assert.deepEqual(schemaVersionsIn('<!-- bench-schema-version: 2 -->\n### Scenario'), [2]);
    assert.deepEqual(schemaVersionsIn('<!DOCTYPE html><title>old</title>'), []);
  });
});
