// The measured process of bench/checks: one CheckerPool checking N real servers, nothing else.
// run.ts forks it, sends the targets, and asks for counters once a second over IPC.
import { readdirSync } from 'node:fs';
import { z } from 'zod';
import { CheckerPool, type PoolSpec } from '../../agent/checkers/pool.ts';
import { nativeChecksInFlight } from '../../agent/checkers/native-checks.ts';

export const startSchema = z.object({
  type: z.literal('start'),
  count: z.number().int().positive(),
  targets: z.array(z.object({ address: z.string(), port: z.number().int() })).min(1),
  send: z.string(),
  expect: z.string(),
  timeoutSec: z.number().positive(),
  jitter: z.boolean(),
});
const messageSchema = z.discriminatedUnion('type', [startSchema, z.object({ type: z.literal('stop') })]);

export interface Sample {
  type: 'sample';
  wallNs: string;
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  completed: number;
  ok: number;
  failed: number;
  lastError: string | null;
  inFlight: number;
  maxInFlight: number;
  openFds: number;
}

let completed = 0;
let ok = 0;
let failed = 0;
let inFlight = 0;
let maxInFlight = 0;
let lastError: string | null = null;
let pool: CheckerPool | null = null;
let sampler: NodeJS.Timeout | null = null;

/** Every verdict the pool records: what the bench reports as checks per second. */
function counted(good: boolean, error: string | null): void {
  completed++;
  if (good) ok++;
  else {
    failed++;
    lastError = error;
  }
}

/** Checks in flight are read from the native checker; the peak is taken every 50 ms. */
function watchInFlight(): void {
  inFlight = nativeChecksInFlight();
  if (inFlight > maxInFlight) maxInFlight = inFlight;
}

function sample(): Sample {
  watchInFlight();
  const cpu = process.cpuUsage();
  const s: Sample = {
    type: 'sample',
    wallNs: process.hrtime.bigint().toString(),
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rss: process.memoryUsage.rss(),
    completed,
    ok,
    failed,
    lastError,
    inFlight,
    maxInFlight,
    openFds: readdirSync('/proc/self/fd').length,
  };
  return s;
}

process.on('message', (raw) => {
  const msg = messageSchema.parse(raw);
  if (msg.type === 'start') {
    const specs: PoolSpec[] = [];
    for (let i = 0; i < msg.count; i++) {
      const t = msg.targets[i % msg.targets.length];
      specs.push({
        key: `bench${Math.floor(i / msg.targets.length)}/${t.address}:${t.port}`,
        address: t.address,
        port: t.port,
        virtualPort: t.port,
        protocol: 'tcp',
        send: msg.send,
        expect: msg.expect,
        useRegex: false,
        sendProgram: null,
        timeoutSec: msg.timeoutSec,
        reentrySec: 10,
      });
    }
    // The agent's own pool, as the agent builds it: TCP send/expect checks run natively.
    pool = new CheckerPool({ jitter: msg.jitter, onVerdict: counted });
    setInterval(watchInFlight, 50).unref();
    pool.update(specs);
    process.send!({ type: 'started' });
    // Pushed, not polled: an overloaded checker answers late, and the parent's clock must not wait.
    sampler = setInterval(() => process.send!(sample()), 1000);
    process.send!(sample());
  } else {
    if (sampler) clearInterval(sampler);
    pool?.stop();
    process.disconnect();
  }
});
