import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findProfile, loadProfiles, parseProfile } from '../../runner/config/profiles';
import { usageMessage } from '../helpers/usage';

const GOOD_MACHINE = `kind: machine
name: box
facts:
  cpu: { value: Some CPU, source: vendor }
  cores: { value: 4, source: vendor }
  threads: { value: 8, source: vendor }
  baseClockGHz: { value: 3.1, source: vendor }
  memoryBytes: { value: 1024, source: me }
  os: { value: Debian 12, source: me }
`;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);
const shown = (name: string) => path.relative(process.cwd(), file(name));

describe('the shipped hardware profiles', () => {
  it('all validate, and the study’s topology names its two machines', () => {
    const profiles = loadProfiles();
    assert.deepEqual([...profiles.keys()].sort(), [
      'ci-small',
      'i3-8300-server',
      'i5-4690k-workstation',
      'local',
      'paper-2020',
    ]);
    const paper = findProfile('paper-2020');
    assert.equal(paper.kind === 'topology' && paper.server, 'i3-8300-server');
    assert.equal(paper.kind === 'topology' && paper.loadgen, 'i5-4690k-workstation');
    const i3 = findProfile('i3-8300-server');
    assert.equal(i3.kind === 'machine' && i3.facts.cores.value, 4);
    for (const p of profiles.values()) {
      if (p.kind === 'machine')
        for (const f of Object.values(p.facts)) assert.ok(f.source.length > 0, `${p.name} fact without a source`);
    }
  });
});

describe('parseProfile errors name the file, the field and what is expected', () => {
  it('a wrong type', () => {
    assert.equal(
      usageMessage(() =>
        parseProfile(file('box.yaml'), GOOD_MACHINE.replace('cores: { value: 4', 'cores: { value: four')),
      ),
      `${shown('box.yaml')}: facts.cores.value must be integer (got "four").`,
    );
  });
  it('a missing source', () => {
    assert.equal(
      usageMessage(() =>
        parseProfile(
          file('box.yaml'),
          GOOD_MACHINE.replace('os: { value: Debian 12, source: me }', 'os: { value: Debian 12 }'),
        ),
      ),
      `${shown('box.yaml')}: facts.os is missing "source".`,
    );
  });
  it('an unknown field, an unknown kind, a name that is not the file name', () => {
    assert.equal(
      usageMessage(() => parseProfile(file('box.yaml'), GOOD_MACHINE + 'gpu: yes\n')),
      `${shown('box.yaml')}: (top level) has an unknown field "gpu". Remove it, or check its spelling.`,
    );
    assert.equal(
      usageMessage(() => parseProfile(file('box.yaml'), 'kind: rack\nname: box\n')),
      `${shown('box.yaml')}: kind must be "machine" or "topology" (got "rack").`,
    );
    assert.equal(
      usageMessage(() => parseProfile(file('other.yaml'), GOOD_MACHINE)),
      `${shown('other.yaml')}: name "box" must match the file name "other".`,
    );
  });
  it('a topology that names a machine with no profile', () => {
    fs.writeFileSync(file('box.yaml'), GOOD_MACHINE);
    fs.writeFileSync(file('lab.yaml'), 'kind: topology\nname: lab\nserver: box\nloadgen: laptop\n');
    assert.equal(
      usageMessage(() => loadProfiles(dir)),
      `${shown('lab.yaml')}: loadgen names machine "laptop", but there is no machine profile laptop.yaml in ${dir}.`,
    );
  });
  it('an unknown profile name lists the known ones', () => {
    assert.match(
      usageMessage(() => findProfile('i9')),
      /^No profile named "i9"\. Known: ci-small, i3-8300-server, .*\. Run bench profile list\.$/,
    );
  });
});
