#!/usr/bin/env node
'use strict';
const argv = process.argv.slice(2);
// `bench serve` is measured: it starts from its own lean entry, without the CLI parser.
if (argv[0] === 'serve') require('../dist/runner/cli/serve-entry.js').serveMain(argv.slice(1));
else require('../dist/bin/main.js').main(argv);
