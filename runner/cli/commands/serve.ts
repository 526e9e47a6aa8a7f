import type { ServeOptions } from '../../config/serve-options';
import { SERVE_FLAGS } from '../flags';
import { optionsOf, type Args, type Command } from '../command';

/** Serves; the lean entry (serve-entry.ts) and the yargs parser both end here. */
export async function serveWith(a: Args): Promise<number> {
  const { resolveServeOptions } = require('../../config/serve-options') as typeof import('../../config/serve-options');
  const { serve } = require('../../serve/serve') as typeof import('../../serve/serve');
  const o = resolveServeOptions(optionsOf(SERVE_FLAGS, a) as ServeOptions);
  return serve(o, (line) => process.stdout.write(line));
}

export const serve: Command = {
  name: 'serve',
  usage: 'serve',
  describe: 'serve one library until SIGINT/SIGTERM (prints one JSON ready line)',
  flags: SERVE_FLAGS,
  run: serveWith,
};
