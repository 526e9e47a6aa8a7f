import * as fs from 'node:fs';
import * as os from 'node:os';

// Which process on this machine listens on a TCP address: /proc/net/tcp{,6} name the listening
// socket's inode, /proc/*/fd name the processes holding it. Reading another user's fds needs root
// (or the same user); a process bench cannot read is simply not found.

/** One listening socket of /proc/net/tcp or tcp6. */
export interface ListenSocket {
  /** canonical text: `127.0.0.1`, `::1`, `0.0.0.0`, `::` (an IPv4-mapped IPv6 address as IPv4) */
  address: string;
  port: number;
  inode: number;
}

/** TCP_LISTEN in /proc/net/tcp's `st` column. */
const LISTEN_STATE = '0A';

/** A /proc/net/tcp address: each 32-bit word in the machine's byte order, in hex. */
export function decodeProcAddress(hex: string, littleEndian = os.endianness() === 'LE'): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(w + i, w + i + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** An address as decodeProcAddress writes it: IPv6 compressed the way URL does, brackets gone. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!bare.includes(':')) return bare;
  try {
    const host = new URL(`http://[${bare}]/`).hostname.replace(/^\[|\]$/g, '');
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (m) {
      const [hi, lo] = [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16)];
      return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
    }
    return host;
  } catch {
    return bare;
  }
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): ListenSocket[] {
  const out: ListenSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN_STATE) continue;
    const [addr, port] = f[1]!.split(':');
    if (addr === undefined || port === undefined) continue;
    out.push({ address: decodeProcAddress(addr), port: Number.parseInt(port, 16), inode: Number(f[9]) });
  }
  return out;
}

const readText = (file: string): string | null => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** Every listening TCP socket of this network namespace; null where /proc/net says nothing. */
export function listenSockets(): ListenSocket[] | null {
  const v4 = readText('/proc/net/tcp');
  const v6 = readText('/proc/net/tcp6');
  if (v4 === null && v6 === null) return null;
  return [...parseProcNetTcp(v4 ?? ''), ...parseProcNetTcp(v6 ?? '')];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The sockets that take connections to one of `addresses` on `port`: bound to that address, or
 * to every address (0.0.0.0, ::).
 */
export function socketsFor(
  sockets: readonly ListenSocket[],
  addresses: readonly string[],
  port: number,
): ListenSocket[] {
  const wanted = new Set(addresses.map(canonicalAddress));
  return sockets.filter((s) => s.port === port && (wanted.has(s.address) || WILDCARDS.has(s.address)));
}

/** The pids of processes with one of the socket inodes open, read from /proc/<pid>/fd. */
export function pidsHolding(inodes: readonly number[]): number[] {
  const links = new Set(inodes.map((i) => `socket:[${i}]`));
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (links.has(link)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/** The parent of a process, or null when it is gone. */
export function readParentPid(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** A process's command name (/proc/<pid>/comm), or null when it is gone. */
export function readComm(pid: number): string | null {
  return readText(`/proc/${pid}/comm`)?.trim() ?? null;
}

/** The direct children of a process, from each of its threads' `children` file. */
function childrenOf(pid: number): number[] | null {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readText(`/proc/${pid}/task/${tid}/children`);
    if (text === null) return fs.existsSync(`/proc/${pid}`) ? null : [];
    for (const c of text.trim().split(/\s+/)) if (c !== '') out.push(Number(c));
  }
  return out;
}

/** Every process's parent, read from /proc/<pid>/stat: for kernels without `children` files. */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    /* no /proc: no children */
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const ppid = readParentPid(Number(e));
    if (ppid !== null) parents.set(Number(e), ppid);
  }
  return parents;
}

/** `root` and all its descendants that are alive now, root first. */
export function processTree(root: number): number[] {
  if (!fs.existsSync(`/proc/${root}`)) return [];
  const tree = [root];
  let parents: Map<number, number> | null = null;
  for (let i = 0; i < tree.length; i++) {
    const pid = tree[i]!;
    let kids = childrenOf(pid);
    if (kids === null) {
      parents ??= parentMap();
      kids = [...parents].filter(([, p]) => p === pid).map(([c]) => c);
    }
    for (const k of kids) if (!tree.includes(k)) tree.push(k);
  }
  return tree;
}

/** Who listens on host:port here: the processes, or why none was found. */
export type ListenerLookup = { pids: number[]; error: null } | { pids: []; error: string };

/**
 * The processes that hold the socket listening on one of `addresses` (this machine's, already
 * resolved) and `port`. Of several holding it (a forking server), those whose parent does not.
 */
export function findListener(addresses: readonly string[], port: number): ListenerLookup {
  const sockets = listenSockets();
  if (sockets === null) return { pids: [], error: 'this system has no /proc/net/tcp' };
  const matching = socketsFor(sockets, addresses, port);
  const where = `${addresses.join(' or ')} port ${port}`;
  if (matching.length === 0) {
    return { pids: [], error: `nothing listens on ${where} in bench's network namespace` };
  }
  const holders = pidsHolding(matching.map((s) => s.inode));
  if (holders.length === 0) {
    return {
      pids: [],
      error: `a socket listens on ${where} (inode ${matching[0]!.inode}) but no process bench can read holds it (not root?)`,
    };
  }
  const held = new Set(holders);
  return { pids: holders.filter((p) => !held.has(readParentPid(p) ?? -1)).sort((a, b) => a - b), error: null };
}

/** Whether an address is this machine's: loopback, or one of its interfaces'. */
export function isLocalAddress(address: string): boolean {
  const a = canonicalAddress(address);
  if (a === '::1' || a.startsWith('127.') || WILDCARDS.has(a)) return true;
  return Object.values(os.networkInterfaces()).some((list) =>
    (list ?? []).some((i) => canonicalAddress(i.address) === a),
  );
}
