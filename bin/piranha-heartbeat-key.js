#!/usr/bin/env node
// Generates the shared heartbeat key (conf/heartbeat.key) that authenticates the pair's heartbeats and config sync.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../agent/ha/heartbeat-key.ts');
process.exitCode = await main(process.argv.slice(2));
