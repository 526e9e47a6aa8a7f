/**
 * Where a leak lives: two V8 heap snapshots of the same process compared the way DevTools'
 * "Comparison" view does. Objects are grouped by constructor (or by kind for strings, arrays,
 * code …); a group's count and bytes at each snapshot give what grew; the objects of a group
 * that are new in the second snapshot (node ids V8 did not have in the first, which it keeps
 * stable within a process) give who retains them: their retainers' constructor and the property
 * (or index) that holds them. Pure but for reading the two files.
 */
import * as fs from 'node:fs';
import type { HeapGrowth } from '../result/soak-schema';

export type { HeapGrowth };

export interface HeapDiff {
  /** groups by bytes grown, most first; only those that grew */
  grew: HeapGrowth[];
  /** self size of everything, bytes */
  totalBefore: number;
  totalAfter: number;
}

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** DevTools' group of a node: objects and natives by name, the rest by kind. */
function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'code':
      return '(compiled code)';
    case 'hidden':
    case 'object shape':
      return '(system)';
    case 'number':
    case 'heap number':
      return '(number)';
    default:
      return `(${type})`;
  }
}

interface Parsed {
  /** per node: its group, id and self size */
  group: string[];
  id: Float64Array;
  size: Float64Array;
  edgesFrom: Uint32Array;
  edges: number[];
  edgeFieldCount: number;
  nodeFieldCount: number;
  edgeTypes: string[];
  edgeType: number;
  edgeName: number;
  edgeTo: number;
  strings: string[];
}

function parse(file: string): Parsed {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const [fType, fName, fId, fSize, fEdges] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) =>
    m.node_fields.indexOf(f),
  ) as [number, number, number, number, number];
  const types = m.node_types[0];
  const n = s.nodes.length / nf;
  const group: string[] = new Array<string>(n);
  const id = new Float64Array(n);
  const size = new Float64Array(n);
  const edgesFrom = new Uint32Array(n + 1);
  const ef = m.edge_fields.length;
  for (let i = 0, e = 0; i < n; i++) {
    const at = i * nf;
    group[i] = groupName(types[s.nodes[at + fType]!]!, s.strings[s.nodes[at + fName]!]!);
    id[i] = s.nodes[at + fId]!;
    size[i] = s.nodes[at + fSize]!;
    edgesFrom[i] = e;
    e += s.nodes[at + fEdges]! * ef;
    edgesFrom[i + 1] = e;
  }
  return {
    group,
    id,
    size,
    edgesFrom,
    edges: s.edges,
    edgeFieldCount: ef,
    nodeFieldCount: nf,
    edgeTypes: m.edge_types[0],
    edgeType: m.edge_fields.indexOf('type'),
    edgeName: m.edge_fields.indexOf('name_or_index'),
    edgeTo: m.edge_fields.indexOf('to_node'),
    strings: s.strings,
  };
}

function totals(p: Parsed): Map<string, { count: number; bytes: number }> {
  const t = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < p.group.length; i++) {
    const g = t.get(p.group[i]!) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += p.size[i]!;
    t.set(p.group[i]!, g);
  }
  return t;
}

/** Edges that do not keep an object alive, or only say how V8 lays it out. */
const NOT_RETAINING = new Set(['weak', 'shortcut']);

/**
 * Compares the snapshot `before` with `after` (of the same process, in that order): the `top`
 * groups that grew most in bytes, each with the `retainersPerGroup` commonest retainers of its
 * new objects.
 */
export function diffHeapSnapshots(before: string, after: string, top = 10, retainersPerGroup = 3): HeapDiff {
  const a = parse(before);
  const known = new Set<number>();
  for (const i of a.id) known.add(i);
  const ta = totals(a);
  const totalBefore = a.size.reduce((x, y) => x + y, 0);
  // Free the first snapshot's arrays before the second is read: each can take hundreds of MB.
  a.edges.length = 0;
  const b = parse(after);
  const tb = totals(b);
  const grew = [...tb]
    .map(([name, x]) => ({ name, x, was: ta.get(name) ?? { count: 0, bytes: 0 } }))
    .filter((g) => g.x.bytes > g.was.bytes)
    .sort((p, q) => q.x.bytes - q.was.bytes - (p.x.bytes - p.was.bytes))
    .slice(0, top);
  const wanted = new Map(grew.map((g) => [g.name, new Map<string, number>()]));
  const newObjects = new Map(grew.map((g) => [g.name, 0]));
  for (let i = 0; i < b.group.length; i++) {
    if (!known.has(b.id[i]!) && newObjects.has(b.group[i]!)) {
      newObjects.set(b.group[i]!, newObjects.get(b.group[i]!)! + 1);
    }
  }
  // Who holds the new objects of each group that grew: one pass over every edge.
  for (let from = 0; from < b.group.length; from++) {
    for (let e = b.edgesFrom[from]!; e < b.edgesFrom[from + 1]!; e += b.edgeFieldCount) {
      const type = b.edgeTypes[b.edges[e + b.edgeType]!]!;
      if (NOT_RETAINING.has(type)) continue;
      const to = b.edges[e + b.edgeTo]! / b.nodeFieldCount;
      const counts = wanted.get(b.group[to]!);
      if (!counts || known.has(b.id[to]!)) continue;
      const raw = b.edges[e + b.edgeName]!;
      const via =
        type === 'element' || type === 'hidden'
          ? `${b.group[from]}[]`
          : `${b.group[from]}.${type === 'context' || type === 'property' || type === 'internal' ? b.strings[raw] : type}`;
      counts.set(via, (counts.get(via) ?? 0) + 1);
    }
  }
  return {
    grew: grew.map((g) => ({
      name: g.name,
      countBefore: g.was.count,
      countAfter: g.x.count,
      bytesBefore: g.was.bytes,
      bytesAfter: g.x.bytes,
      newObjects: newObjects.get(g.name) ?? 0,
      retainers: [...wanted.get(g.name)!]
        .sort((p, q) => q[1] - p[1])
        .slice(0, retainersPerGroup)
        .map(([via, count]) => ({ via, count })),
    })),
    totalBefore,
    totalAfter: b.size.reduce((x, y) => x + y, 0),
  };
}
