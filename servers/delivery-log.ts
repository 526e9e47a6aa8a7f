import * as fs from 'node:fs';
import type { DeliveryLine } from './types';

/** Logs that this node is about to write broadcast `seq` to `clients` of its own clients. */
export type LogDelivery = (seq: number, clients: number) => void;

const STDOUT_FD = 1;
/** Something to sleep on between retries of a full pipe. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const RETRY_MS = 1;

/**
 * The delivery log of node `nodeId` (`ServerOptions.logDeliveries`): one `DeliveryLine` per
 * broadcast, written to stdout before the function returns; without `enabled`, nothing.
 */
export function deliveryLog(enabled: boolean, nodeId: string): LogDelivery {
  if (!enabled) return () => {};
  return (seq, clients) => {
    const line: DeliveryLine = { event: 'delivery', node: nodeId, pid: process.pid, seq, clients };
    writeLine(JSON.stringify(line) + '\n');
  };
}

/**
 * Writes `text` to stdout before returning, whatever process.stdout would queue. A line is far
 * below PIPE_BUF (4096 bytes), so a pipe takes it whole or not at all, and lines of a cluster's
 * workers, which share the pipe, never mix.
 */
function writeLine(text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += fs.writeSync(STDOUT_FD, bytes, written);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Once process.stdout has been used, the pipe is non-blocking: full while the reader catches up.
      if (code === 'EAGAIN') Atomics.wait(PAUSE, 0, 0, RETRY_MS);
      // Nobody reads any more (the runner is gone, and parent-watch ends us soon): keep serving.
      else if (code === 'EPIPE') return;
      else throw err;
    }
  }
}
