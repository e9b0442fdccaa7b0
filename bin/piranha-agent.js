#!/usr/bin/env node
import { register } from 'tsx/esm/api';
register();
let main;
try {
  ({ main } = await import('../agent/main.ts'));
} catch (err) {
  // A Node without the TCP handle bindings (agent/net/raw-tcp.ts): one clear line, not a stack.
  if (err?.name !== 'NodeBindingsError') throw err;
  process.stderr.write(`piranha-agent: ${err.message}\n`);
  process.exit(1);
}
// exit() rather than exitCode: after a clean shutdown nothing of ours should keep the loop alive,
// and a stray handle in a dependency must not turn SIGTERM into a hang.
process.exit(await main(process.argv.slice(2)));
