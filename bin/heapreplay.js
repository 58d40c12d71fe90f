#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: from a bundle kept fresh in
// node_modules/.cache (bin/bundle.js), or through tsx when there is none. A
// shebang with --import tsx is not portable, so this launcher does it instead.
import { importEntry } from './bundle.js';

await importEntry('harness/cli.ts');
