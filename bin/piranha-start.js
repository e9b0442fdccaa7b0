#!/usr/bin/env node
// What `npm start` runs: the console and the agent together on ./var/ha.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../server/start.ts');
process.exitCode = await main(process.argv.slice(2));
