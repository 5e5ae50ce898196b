#!/usr/bin/env node
// The CLI is TypeScript, run through tsx (installed by `npm ci`) so there is no build step to forget.
require('tsx/cjs/api').register();
require('../cli/main.ts').runFromProcess();
