#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx rampart` works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
