#!/usr/bin/env node
// The CLI is TypeScript, run through tsx (installed by `npm ci`) so there is no build step to forget.
// Supported: Node 20, 22 and 24 (package.json engines). The SDK releases pinned in package-lock.json run on all
// three; their 8-line warning is about SDK releases after January 2027 that this lock does not use, so an operator
// running a command can do nothing about it. Moving the lock past them means raising engines to >=22 instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('../cli/main.ts').runFromProcess();
