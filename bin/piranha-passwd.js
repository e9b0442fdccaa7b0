#!/usr/bin/env node
// piranha-passwd: sets the console password. The work is in server/passwd-cli.ts.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../server/passwd-cli.ts');
process.exitCode = await main(process.argv.slice(2));
