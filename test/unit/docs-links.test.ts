import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DOCS = path.join(ROOT, 'docs');

/** The README and every page under docs/: what a clone has to read. */
function pages(): string[] {
  const docs = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md'));
  return [path.join(ROOT, 'README.md'), ...docs.map((f) => path.join(DOCS, f))];
}

const withoutCode = (md: string) => md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const md = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Every relative link target, as [text](target) or ![alt](target). */
function linksOf(md: string): string[] {
  return [...withoutCode(md).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

describe('README and docs/', () => {
  it('every relative link points at a file in the repository, and every #anchor at a heading', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages()) {
      for (const target of linksOf(fs.readFileSync(page, 'utf8'))) {
        checked++;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const resolved = file === '' ? page : path.resolve(path.dirname(page), file);
        const where = `${path.relative(ROOT, page)}: ${target}`;
        if (path.relative(ROOT, resolved).startsWith('..')) broken.push(`${where} leaves the repository`);
        else if (!fs.existsSync(resolved)) broken.push(`${where} does not exist`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
          broken.push(`${where}: no heading with that anchor`);
        }
      }
    }
    assert.ok(checked >= 40, `${checked} links checked`);
    assert.deepEqual(broken, []);
  });

  it('points at nothing outside the repository', () => {
    for (const page of pages()) {
      const md = fs.readFileSync(page, 'utf8');
      assert.doesNotMatch(md, /\.\.\/shared|DESIGN\.md/, path.relative(ROOT, page));
    }
  });

  it('keeps the README a front page: 15,000 bytes or less, no test count, no CI time', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(Buffer.byteLength(readme) <= 15_000, `README.md is ${Buffer.byteLength(readme)} bytes`);
    // Both go stale with every commit; docs/development.md says them with a date's caveat.
    assert.doesNotMatch(readme, /\b\d[\d,]* tests\b/);
    assert.doesNotMatch(readme, /\.ci\/run took/);
  });
});
