import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as v8 from 'node:v8';
import { diffHeapSnapshots } from '../../runner/run/heap-diff';

class LeakyThing {
  constructor(
    readonly i: number,
    readonly label: string,
  ) {}
}

describe('heap snapshot diff', () => {
  it('finds the objects kept between two snapshots of this process, their count and who holds them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-diff-'));
    try {
      const before = v8.writeHeapSnapshot(path.join(dir, 'before.heapsnapshot'));
      const kept: LeakyThing[] = [];
      for (let i = 0; i < 2_000; i++) kept.push(new LeakyThing(i, `thing ${i}`));
      (globalThis as { heapDiffTestBin?: unknown }).heapDiffTestBin = { kept };
      const after = v8.writeHeapSnapshot(path.join(dir, 'after.heapsnapshot'));
      const d = diffHeapSnapshots(before, after, 30);
      const g = d.grew.find((x) => x.name === 'LeakyThing');
      assert.ok(g, `LeakyThing among the groups that grew: ${d.grew.map((x) => x.name).join(', ')}`);
      assert.equal(g.countAfter - g.countBefore, 2_000);
      assert.equal(g.newObjects, 2_000);
      assert.ok(g.bytesAfter - g.bytesBefore >= 2_000 * 16, `${g.bytesAfter - g.bytesBefore} bytes for 2,000 objects`);
      assert.deepEqual(g.retainers[0], { via: 'Array[]', count: 2_000 });
      assert.ok(d.totalAfter > d.totalBefore);
      // The groups come most grown first.
      const grown = d.grew.map((x) => x.bytesAfter - x.bytesBefore);
      assert.deepEqual(
        grown,
        [...grown].sort((p, q) => q - p),
      );
      delete (globalThis as { heapDiffTestBin?: unknown }).heapDiffTestBin;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
