// What a run leaves on RabbitMQ, and its removal: at the run's end, and by the next run when it
// was killed first. Queues are exclusive (they go with their node's connection); exchanges are
// auto-delete, which RabbitMQ removes with their last binding, but one a node declared and never
// bound (it died in between) would stay. They are named for their run (`bench.bench-<pid>-<ms>.…`),
// as profiles name namespaces: one whose pid no longer runs is a leftover.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exchangeName } from '../../servers/adapters/amqp-topology';
import type { AmqpTopology } from '../../servers/types';
import { hasCommand } from './isolation/host';
import { isAlive } from './isolation/sys';

/** Where each run with --adapter amqp notes its exchanges until it has removed them: one file per run key. */
export const AMQP_RUNS_DIR = path.join(os.tmpdir(), 'bench-amqp-runs');

/** A run key (`bench-<pid>-<ms>`, nodes.ts) and the pid in it. */
const RUN_KEY = /^bench-(\d+)-\d+$/;
/** An exchange of a run, as RabbitMQ lists it. */
const RUN_EXCHANGE = /^bench\.(bench-(\d+)-\d+)\./;

/** The exchanges nodes of run `key` may declare: ws/SockJS's and Socket.IO's, in the run's topology. */
export function runExchanges(key: string, topology: AmqpTopology): string[] {
  return [`bench.${key}.broadcast`, `bench.${key}.sio`].map((base) => exchangeName(base, topology));
}

/** Notes run `key`'s exchanges before any node starts, so a run killed at any point leaves a note. */
export function noteRun(key: string, exchanges: readonly string[]): void {
  try {
    fs.mkdirSync(AMQP_RUNS_DIR, { recursive: true });
    fs.writeFileSync(path.join(AMQP_RUNS_DIR, key), JSON.stringify(exchanges));
  } catch {
    // the sweep by name (rabbitmqctl) still finds them
  }
}

/**
 * Deletes `exchanges` (their bindings with them); resolves with those that were there. One that
 * is gone already is no error: RabbitMQ answers a passive declare of it by closing the channel,
 * so each is looked at on a channel of its own.
 */
export async function deleteExchanges(url: string, exchanges: readonly string[]): Promise<string[]> {
  if (exchanges.length === 0) return [];
  const amqp = require('amqplib') as typeof import('amqplib');
  const connection = await amqp.connect(url, { timeout: 3_000 });
  const deleted: string[] = [];
  try {
    for (const name of exchanges) {
      const channel = await connection.createChannel();
      channel.on('error', () => {}); // the 404 of an exchange that is gone
      try {
        await channel.checkExchange(name);
      } catch {
        continue;
      }
      await channel.deleteExchange(name);
      deleted.push(name);
      await channel.close();
    }
  } finally {
    await connection.close().catch(() => {});
  }
  return deleted;
}

/** Removes run `key`'s exchanges and its note, at its end. Throws when RabbitMQ cannot be reached. */
export async function removeRun(url: string, key: string, exchanges: readonly string[]): Promise<void> {
  // Nodes that closed their connections took their queues, and the exchange its last binding, with them.
  await deleteExchanges(url, exchanges);
  fs.rmSync(path.join(AMQP_RUNS_DIR, key), { force: true });
}

/** Exchanges RabbitMQ lists whose run's pid no longer runs, by name; empty without rabbitmqctl (it needs root). */
function listedLeftovers(owner: number): string[] {
  if (!hasCommand('rabbitmqctl') || process.getuid?.() !== 0) return [];
  let out: string;
  try {
    out = execFileSync('rabbitmqctl', ['list_exchanges', '-q', 'name'], {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((name) => {
      const m = RUN_EXCHANGE.exec(name);
      return m !== null && Number(m[2]) !== owner && !isAlive(Number(m[2]));
    });
}

/**
 * Removes what runs killed before their end left on RabbitMQ: the exchanges their notes name,
 * and those RabbitMQ lists under a dead run's name. Returns what it removed, and what failed.
 */
export async function removeStaleRuns(
  url: string,
  owner = process.pid,
): Promise<{ removed: string[]; failed: string[] }> {
  const out = { removed: [] as string[], failed: [] as string[] };
  let notes: string[] = [];
  try {
    notes = fs.readdirSync(AMQP_RUNS_DIR).filter((key) => {
      const m = RUN_KEY.exec(key);
      return m !== null && Number(m[1]) !== owner && !isAlive(Number(m[1]));
    });
  } catch {
    // no notes
  }
  const noted = new Map<string, string[]>();
  for (const key of notes) {
    try {
      noted.set(key, JSON.parse(fs.readFileSync(path.join(AMQP_RUNS_DIR, key), 'utf8')) as string[]);
    } catch {
      noted.set(key, []);
    }
  }
  const listed = listedLeftovers(owner);
  const exchanges = [...new Set([...[...noted.values()].flat(), ...listed])];
  try {
    // Only those that were there are told; a note of a run that cleaned up is quietly dropped.
    out.removed.push(...(await deleteExchanges(url, exchanges)).map((e) => `exchange ${e}`));
    for (const key of noted.keys()) fs.rmSync(path.join(AMQP_RUNS_DIR, key), { force: true });
  } catch (err) {
    out.failed.push(`RabbitMQ leftovers of killed runs (${exchanges.join(', ')}): ${(err as Error).message}`);
  }
  return out;
}
