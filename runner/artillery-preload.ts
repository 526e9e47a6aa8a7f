/**
 * Preloaded (`node --require`) into the Artillery process bench starts.
 *
 * Artillery 2 sends a telemetry event to PostHog at the end of every run even when
 * ARTILLERY_DISABLE_TELEMETRY is set (it only strips the payload). A benchmark must not
 * reach out of the machine, and on an offline machine the failed DNS lookup holds the
 * process open for about 10 s per run. So the PostHog client is replaced with one that sends
 * nothing, before Artillery loads it.
 */
import * as path from 'node:path';
import Module = require('node:module');
import './parent-watch';

class SilentPostHog {
  capture(): void {}
  shutdown(): void {}
  async shutdownAsync(): Promise<void> {}
}

try {
  const artilleryDir = path.dirname(require.resolve('artillery/package.json'));
  const file = require.resolve('posthog-node', { paths: [artilleryDir] });
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = { PostHog: SilentPostHog };
  require.cache[file] = stub;
} catch {
  // Artillery without posthog-node sends nothing: nothing to silence.
}
