// Where a run may send load: --target, and the address check every URL option of `bench run`
// shares (--server-metrics, --push-metrics, --redis-url, --pg-url).
import * as net from 'node:net';
import { UsageError } from '../errors';

/** Loopback, or the 198.18.0.0/15 benchmark range that bench's own namespaces use. */
export function isBenchmarkAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (net.isIPv4(h)) {
    const [a, b] = h.split('.').map(Number);
    return a === 127 || (a === 198 && (b === 18 || b === 19));
  }
  return false;
}

export function resolveTarget(raw: string, allowRemote: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--target must be a URL such as ws://127.0.0.1:8080/ or http://127.0.0.1:8080 (got "${raw}"). Use the "url" from the ready line of bench serve.`,
    );
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new UsageError(
      `--target must use ws://, wss://, http:// or https:// (got "${url.protocol}"). Use the "url" from the ready line of bench serve.`,
    );
  }
  if (!allowRemote && !isBenchmarkAddress(url.hostname)) {
    throw new UsageError(
      `--target ${url.hostname} is not a loopback or 198.18.0.0/15 address. To load a server on another machine you own, add --allow-remote-target.`,
    );
  }
  return url.toString();
}
