#!/usr/bin/env node
'use strict';
require('../dist/runner/cli.js').main(process.argv.slice(2));
