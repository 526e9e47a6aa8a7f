import { loopbackAddresses, MAX_SOURCE_ADDRESSES, type SourceAddressSpec } from '../config/spread-options';

/**
 * Share of a port range one source address may fill: the rest covers connections in TIME_WAIT
 * (warm-up clients leave before the ramp) and ports something else holds.
 */
export const PORT_FILL = 0.9;

/** What the address plan weighs: sockets the generator opens, toward how many destinations. */
export interface PortDemand {
  sockets: number;
  /** distinct destinations (host:port): the kernel reuses a port toward different ones */
  destinations: number;
}

/** Ports one source address offers toward one destination. */
export const usablePorts = (range: { low: number; high: number }) =>
  Math.floor((range.high - range.low + 1) * PORT_FILL);

/**
 * The source addresses a run connects from; null: the kernel's choice. `auto` asks for none when
 * the kernel's own choice holds the sockets. A bound socket takes its port on that address for
 * every destination (Node binds before it connects), so past that one address holds `usable`
 * sockets and `auto` takes as many as the sockets need.
 */
export function planSourceAddresses(
  spec: SourceAddressSpec | null,
  demand: PortDemand,
  range: { low: number; high: number } | null,
): string[] | null {
  if (spec === null) return null;
  if (spec.kind === 'list') return spec.addresses;
  if (range === null) return null;
  const usable = usablePorts(range);
  if (demand.sockets <= usable * demand.destinations) return null;
  return loopbackAddresses(Math.min(MAX_SOURCE_ADDRESSES, Math.ceil(demand.sockets / usable)));
}

/** Clients per address when each VU takes the next address: the first ones get one more. */
export function clientsPerAddress(
  addresses: readonly string[],
  clients: number,
): { address: string; clients: number }[] {
  const n = addresses.length;
  return addresses.map((address, i) => ({ address, clients: Math.floor(clients / n) + (i < clients % n ? 1 : 0) }));
}

/** Sockets a set of addresses holds: with bound sockets, ports per address whatever the destinations. */
export function portCapacity(
  addresses: readonly string[] | null,
  destinations: number,
  range: { low: number; high: number },
): number {
  const ports = range.high - range.low + 1;
  return addresses === null ? ports * destinations : ports * addresses.length;
}
