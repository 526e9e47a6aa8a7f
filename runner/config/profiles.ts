import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import * as YAML from 'yaml';
import { UsageError } from '../errors';
import { packageRoot } from '../paths';

/** A fact about a machine and where it comes from. */
export interface Fact<T> {
  value: T;
  source: string;
}

/** A machine profile: what the machine is, each fact with its source. */
export interface MachineProfile {
  kind: 'machine';
  name: string;
  description?: string;
  facts: {
    cpu: Fact<string>;
    cores: Fact<number>;
    threads: Fact<number>;
    baseClockGHz: Fact<number>;
    memoryBytes: Fact<number>;
    memoryType?: Fact<string>;
    os: Fact<string>;
  };
}

/** Limits for one side of a topology, given inline rather than by a machine profile. */
export interface SideLimits {
  cores?: Fact<number>;
  memoryBytes?: Fact<number>;
}

/** A topology: where the server and the load generator run, and the link between them. */
export interface TopologyProfile {
  kind: 'topology';
  name: string;
  description?: string;
  /** a machine profile's name, or inline limits */
  server?: string | SideLimits;
  loadgen?: string | SideLimits;
  link?: { bandwidthMbit?: Fact<number>; latencyMs?: Fact<number> };
}

export type Profile = MachineProfile | TopologyProfile;

export const PROFILES_DIR = path.join(packageRoot, 'hardware-profiles');

const fact = (value: object) => ({
  type: 'object',
  required: ['value', 'source'],
  additionalProperties: false,
  properties: { value, source: { type: 'string', minLength: 1 } },
});
const positiveInt = { type: 'integer', minimum: 1 };
const name = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' };
const side = {
  oneOf: [
    name,
    {
      type: 'object',
      additionalProperties: false,
      properties: { cores: fact(positiveInt), memoryBytes: fact(positiveInt) },
    },
  ],
};

const MACHINE_SCHEMA = {
  type: 'object',
  required: ['kind', 'name', 'facts'],
  additionalProperties: false,
  properties: {
    kind: { const: 'machine' },
    name,
    description: { type: 'string' },
    facts: {
      type: 'object',
      required: ['cpu', 'cores', 'threads', 'baseClockGHz', 'memoryBytes', 'os'],
      additionalProperties: false,
      properties: {
        cpu: fact({ type: 'string', minLength: 1 }),
        cores: fact(positiveInt),
        threads: fact(positiveInt),
        baseClockGHz: fact({ type: 'number', exclusiveMinimum: 0 }),
        memoryBytes: fact(positiveInt),
        memoryType: fact({ type: 'string' }),
        os: fact({ type: 'string', minLength: 1 }),
      },
    },
  },
};

const TOPOLOGY_SCHEMA = {
  type: 'object',
  required: ['kind', 'name'],
  additionalProperties: false,
  properties: {
    kind: { const: 'topology' },
    name,
    description: { type: 'string' },
    server: side,
    loadgen: side,
    link: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bandwidthMbit: fact({ type: 'number', exclusiveMinimum: 0 }),
        latencyMs: fact({ type: 'number', minimum: 0 }),
      },
    },
  },
};

const ajv = new Ajv({ allErrors: false });
const validators = { machine: ajv.compile(MACHINE_SCHEMA), topology: ajv.compile(TOPOLOGY_SCHEMA) };

function valueAt(doc: unknown, pointer: string): unknown {
  let v: unknown = doc;
  for (const key of pointer.split('/').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

/** One line: the file, the field, what is expected and what was there. */
function describeError(file: string, doc: unknown, e: ErrorObject): string {
  const field = e.instancePath.split('/').filter(Boolean).join('.') || '(top level)';
  let expected = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    expected = `has an unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    return `${file}: ${field} ${expected}. Remove it, or check its spelling.`;
  }
  if (e.keyword === 'required') {
    return `${file}: ${field} is missing "${(e.params as { missingProperty: string }).missingProperty}".`;
  }
  if (e.keyword === 'oneOf')
    expected = 'must be a machine profile name or { cores, memoryBytes } with value and source';
  return `${file}: ${field} ${expected} (got ${JSON.stringify(valueAt(doc, e.instancePath))}).`;
}

/** Reads and checks one profile file. Throws UsageError naming the file, the field and the fix. */
export function parseProfile(file: string, text: string): Profile {
  const shown = path.relative(process.cwd(), file) || file;
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UsageError(`${shown}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const kind = (doc as { kind?: unknown } | null)?.kind;
  if (kind !== 'machine' && kind !== 'topology') {
    throw new UsageError(`${shown}: kind must be "machine" or "topology" (got ${JSON.stringify(kind)}).`);
  }
  const validate = validators[kind];
  if (!validate(doc)) throw new UsageError(describeError(shown, doc, validate.errors![0]!));
  const profile = doc as unknown as Profile;
  const base = path.basename(file).replace(/\.ya?ml$/, '');
  if (profile.name !== base) {
    throw new UsageError(`${shown}: name "${profile.name}" must match the file name "${base}".`);
  }
  return profile;
}

/** Every profile in `dir`, checked, including that a topology's machines exist. */
export function loadProfiles(dir = PROFILES_DIR): Map<string, Profile> {
  const profiles = new Map<string, Profile>();
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const file = path.join(dir, f);
    const p = parseProfile(file, fs.readFileSync(file, 'utf8'));
    profiles.set(p.name, p);
  }
  for (const p of profiles.values()) {
    if (p.kind !== 'topology') continue;
    for (const role of ['server', 'loadgen'] as const) {
      const ref = p[role];
      if (typeof ref === 'string' && profiles.get(ref)?.kind !== 'machine') {
        const shown = path.relative(process.cwd(), path.join(dir, `${p.name}.yaml`));
        throw new UsageError(
          `${shown}: ${role} names machine "${ref}", but there is no machine profile ${ref}.yaml in ${dir}.`,
        );
      }
    }
  }
  return profiles;
}

export function findProfile(name: string, dir = PROFILES_DIR): Profile {
  const profiles = loadProfiles(dir);
  const p = profiles.get(name);
  if (!p) {
    throw new UsageError(
      `No profile named "${name}". Known: ${[...profiles.keys()].join(', ')}. Run bench profile list.`,
    );
  }
  return p;
}

/** A topology by name, for --profile. Throws UsageError for an unknown or a machine profile. */
export function findTopology(name: string, dir = PROFILES_DIR): TopologyProfile {
  const p = findProfile(name, dir);
  if (p.kind !== 'topology') {
    const topologies = [...loadProfiles(dir).values()].filter((t) => t.kind === 'topology').map((t) => t.name);
    throw new UsageError(
      `--profile ${name} is a machine profile; --profile takes a topology: ${topologies.join(', ')}.`,
    );
  }
  return p;
}

/** `bench profile list`: one line per profile. */
export function formatProfileList(profiles: Map<string, Profile>): string {
  const rows = [...profiles.values()].map((p) => `${p.kind.padEnd(9)} ${p.name.padEnd(22)} ${p.description ?? ''}`);
  return ['kind      name                   description', ...rows].join('\n');
}
