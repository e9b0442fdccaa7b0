// What the agent's TypeScript and its native code (native/*.c) read and write in common: where
// each counter of a real server sits in the relay's shared counters, and how the checks' verdicts
// are laid out and coded. The C side writes each list once (the X-macro lists of native/relay.h
// and native/checks.h) and exports it as the addon's `layout`; the loader (native-addon.ts) holds
// it against this file with checkLayout(), so a change made on one side only stops the agent
// at once with a sentence naming what differs, instead of counting into the wrong field.
//
// The values are constants here, not read from the addon at run time, because the hot paths
// (real.ts's counters, every verdict) index with them and TypeScript checks the switch over outcomes.
import { z } from 'zod';

/** Offsets of a real server's fields within its slot of the relay's counters (RELAY_COUNTERS). */
export const Counter = {
  active: 0,
  inactive: 1,
  packetsIn: 2,
  packetsOut: 3,
  bytesIn: 4,
  bytesOut: 5,
  /** The real server's IPv4 address as an integer, 0 while a host name has not resolved. */
  ip: 6,
  port: 7,
} as const;
/** Doubles per real server in the relay's counters. */
export const COUNTER_FIELDS = 8;

/**
 * Columns of one verdict in the checks' results (RESULT_COLUMNS); offset and length locate the
 * quoted answer, micros is how long the check took.
 */
export const ResultColumn = { id: 0, outcome: 1, errno: 2, offset: 3, length: 4, micros: 5 } as const;
/** Int32 per verdict in the checks' results. */
export const RESULT_FIELDS = 6;

/** How a native check ended (CHECK_OUTCOMES). */
export const Outcome = {
  ok: 0,
  socket: 1,
  connect: 2,
  connectTimeout: 3,
  write: 4,
  read: 5,
  closed: 6,
  timeout: 7,
  mismatch: 8,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];
/** Every way a native check can fail: what agent/checkers/check.ts turns into a sentence. */
export type NativeFailure = Exclude<Outcome, typeof Outcome.ok>;

const codes = z.record(z.string(), z.number().int());

/** The addon's `layout` export. maxSlots is a capacity, not shared layout: it is read, not compared. */
export const nativeLayoutSchema = z.object({
  relay: z.object({ slotFields: z.number().int(), maxSlots: z.number().int().positive(), counters: codes }),
  checks: z.object({ resultFields: z.number().int(), results: codes, outcomes: codes }),
});
export type NativeLayout = z.infer<typeof nativeLayoutSchema>;

/** This side of the contract, in the shape of the addon's `layout`. */
export const EXPECTED_LAYOUT = {
  relay: { slotFields: COUNTER_FIELDS, counters: Counter },
  checks: { resultFields: RESULT_FIELDS, results: ResultColumn, outcomes: Outcome },
} as const;

type Shape = { readonly [key: string]: number | Shape };

/** Every difference between what this code expects (`want`) and what the addon says (`got`), by dotted path. */
function differences(want: Shape, got: Record<string, unknown>, path: string): string[] {
  const out: string[] = [];
  for (const [key, expected] of Object.entries(want)) {
    const at = `${path}.${key}`;
    const actual = got[key];
    if (typeof expected === 'number') {
      if (actual === undefined) out.push(`${at} is missing from the addon (${expected} here)`);
      else if (actual !== expected) out.push(`${at} is ${String(actual)} in the addon and ${expected} here`);
    } else {
      out.push(...differences(expected, actual as Record<string, unknown>, at));
    }
  }
  // A name the C side has and this side does not (a new counter, a new outcome) is a difference too.
  if (Object.values(want).every((v) => typeof v === 'number')) {
    for (const [key, actual] of Object.entries(got)) {
      if (!(key in want)) out.push(`${path}.${key} (${String(actual)}) is in the addon only`);
    }
  }
  return out;
}

/**
 * Holds the addon's `layout` export against this file: the layout when they agree, otherwise
 * the list of differences (each naming the field, e.g. "layout.relay.counters.bytesIn is 5 in
 * the addon and 4 here"). A missing or malformed layout is one difference: the addon predates it.
 */
export function checkLayout(layout: unknown): { ok: true; layout: NativeLayout } | { ok: false; problems: string[] } {
  const parsed = nativeLayoutSchema.safeParse(layout);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = ['layout', ...issue.path.map(String)].join('.');
    return { ok: false, problems: [layout === undefined ? 'the addon exports no layout' : `${where}: ${issue.message}`] };
  }
  const problems = differences(EXPECTED_LAYOUT, parsed.data, 'layout');
  return problems.length === 0 ? { ok: true, layout: parsed.data } : { ok: false, problems };
}
