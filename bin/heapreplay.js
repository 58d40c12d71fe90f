#!/usr/bin/env node
// Registers tsx so the TypeScript CLI runs without a build step; a shebang with
// --import tsx is not portable, so this launcher does it instead.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli.ts');
