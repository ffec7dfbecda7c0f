#!/usr/bin/env node
/* global require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- plain node runs this shim; tsx compiles what it requires */
// `durable-codex-agents <command>`: runs the TypeScript entry through tsx, so a checkout works after `npm link` with
// no build. Node resolves a symlinked bin to this file, so __dirname finds the checkout from any directory.
'use strict';
const path = require('node:path');

require('tsx/cjs');
const { main } = require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
main(process.argv.slice(2)).then((code) => process.exit(code));
