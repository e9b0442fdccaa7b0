#!/usr/bin/env node
// The console holds a large lvs.cf parsed in memory (200,000 real servers at 10,000 virtual servers):
// V8's heuristics for a small footprint keep it near what it holds after the parse and after many
// saves, where the defaults let the heap grow by a third and more (bench/scale/SAVES.md).
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--optimize-for-size');
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../server/main.ts');
process.exitCode = await main(process.argv.slice(2));
