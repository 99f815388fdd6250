#!/usr/bin/env node
// Launcher for the `flywheel` command: compiles the TypeScript sources on the fly with the
// repository's compiler settings, wherever it is started from.
const path = require('node:path');

process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '../../../tsconfig.json');
require('@swc-node/register');
require('../src/main.ts');
