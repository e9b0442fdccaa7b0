#!/usr/bin/env node
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../agent/main.ts');
// exit() rather than exitCode: after a clean shutdown nothing of ours should keep the loop alive,
// and a stray handle in a dependency must not turn SIGTERM into a hang.
process.exit(await main(process.argv.slice(2)));
