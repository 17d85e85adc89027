#!/usr/bin/env node
// Entry point of the `parking` command. The sources are TypeScript, run
// through tsx's loader so no build step stands between `npm install` and use.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/parking.ts');
await main(process.argv.slice(2));
