// One health check of one real server, stateless: works out which kind of check lvs.cf asks for
// (nanny's rules), runs it, and returns a transcript a console can show.
import { performance } from 'node:perf_hooks';
import { unescape, printable } from './escape.ts';
import { BadRegexError, makeExpectation, type Expectation } from './expect.ts';
import { startTcpProbe, tcpProbe, validPort, type RunningProbe, type TcpProbe } from './tcp.ts';
import { udpProbe, type UdpProbe } from './udp.ts';
import { programArgv, programProbe, type ProgramProbe } from './program.ts';
import { EMPTY, formatSeconds, type ProbeResult } from './outcome.ts';
import { errorName } from '../net/raw-tcp.ts';
import { parseIPv4 } from '../../common/ipv4.ts';
import { Outcome, type NativeFailure } from '../native-contract.ts';

export { unescape } from './escape.ts';

export interface CheckSpec {
  /** Unique id of the real server, e.g. `${virtualName}/${serverName}`. */
  key: string;
  address: string;
  port: number;
  /** nanny's default HTTP check applies when the VIRTUAL port is 80 and send/expect/program are empty. */
  virtualPort: number;
  protocol: 'tcp' | 'udp';
  /** As in the lvs.cf model: quotes stripped, escapes NOT yet interpreted; '' means none. */
  send: string | null;
  expect: string | null;
  useRegex: boolean;
  /** e.g. "/usr/local/bin/check %h %p": needs an absolute path; %h/%p whole tokens are replaced. */
  sendProgram: string | null;
  /** Connect/read timeout AND the interval between checks. */
  timeoutSec: number;
}

export interface CheckOutcome {
  ok: boolean;
  /** What was sent (escaped for display) or the command line that ran. */
  sent: string;
  /** What came back, printable, at most 1 KiB of it. */
  received: string;
  error: string | null;
  durationMs: number;
  description: string;
  /** A program's exit status (null when killed); absent for network checks. */
  exitCode?: number | null;
}

/** nanny.c: with no send, expect or program on a virtual port 80, it checks HTTP. */
export const DEFAULT_HTTP_SEND = 'GET / HTTP/1.0\r\n\r\n';
export const DEFAULT_HTTP_EXPECT = 'HTTP';

/** Zero, negative or non-numbers would spin or crash (nanny: SIGFPE); validation reports them elsewhere. */
export function effectiveTimeoutSec(t: number): number {
  return Number.isFinite(t) && t > 0 ? t : 1;
}

function given(s: string | null): s is string {
  return s !== null && s !== '';
}

/** The default HTTP check is for TCP only: nanny never meant to send an HTTP request in a datagram. */
function usesDefaultHttp(spec: CheckSpec): boolean {
  return (
    spec.protocol === 'tcp' &&
    spec.virtualPort === 80 &&
    !given(spec.send) &&
    !given(spec.expect) &&
    !given(spec.sendProgram)
  );
}

export function describeCheck(spec: CheckSpec): string {
  if (given(spec.sendProgram)) return `program ${spec.sendProgram.trim()}`;
  if (usesDefaultHttp(spec)) return 'HTTP GET / (default)';
  const regex = spec.useRegex && given(spec.expect) && spec.expect !== '*' ? ' (regex)' : '';
  if (spec.protocol === 'udp') {
    return given(spec.send) || given(spec.expect) ? `udp send/expect${regex}` : 'udp any reply';
  }
  return given(spec.send) || given(spec.expect) ? `send/expect${regex}` : 'connect tcp';
}

/** Whether two specs check the same thing the same way (the key and reentry do not matter). */
export function sameCheck(a: CheckSpec, b: CheckSpec): boolean {
  return (
    a.address === b.address &&
    a.port === b.port &&
    a.virtualPort === b.virtualPort &&
    a.protocol === b.protocol &&
    a.send === b.send &&
    a.expect === b.expect &&
    a.useRegex === b.useRegex &&
    a.sendProgram === b.sendProgram &&
    a.timeoutSec === b.timeoutSec
  );
}

/**
 * What a check does apart from where it connects, as a string: two specs with the same address,
 * port and method identity make exactly the same exchange (sameCheck's fields, with the virtual
 * port only where it decides nanny's default HTTP check), so they can share one check.
 */
export function checkMethodIdentity(spec: CheckSpec): string {
  return JSON.stringify([spec.protocol, usesDefaultHttp(spec), spec.send, spec.expect, spec.useRegex, spec.sendProgram, spec.timeoutSec]);
}

/** Everything about a check that does not change from one run to the next. */
type Plan = { description: string; sent: string } & (
  | { kind: 'program'; probe: ProgramProbe }
  | { kind: 'tcp'; probe: TcpProbe; expectText: string | null; regex: boolean }
  | { kind: 'udp'; probe: UdpProbe }
  /** A check that cannot run (a regex that does not compile): fails with this message. */
  | { kind: 'invalid'; error: string }
);

function makePlan(spec: CheckSpec): Plan {
  const description = describeCheck(spec);
  const timeoutSec = effectiveTimeoutSec(spec.timeoutSec);
  const { address, port } = spec;
  if (given(spec.sendProgram)) {
    // The manual: with a sending program the send field is ignored.
    const expect = given(spec.expect) ? unescape(spec.expect) : null;
    const sent = programArgv(spec.sendProgram, address, port).join(' ');
    const probe: ProgramProbe = { command: spec.sendProgram, address, port, expect, useRegex: spec.useRegex, timeoutSec };
    return { kind: 'program', description, sent, probe };
  }
  const http = usesDefaultHttp(spec);
  const sendText = http ? DEFAULT_HTTP_SEND : given(spec.send) ? unescape(spec.send) : null;
  const expectText = http ? DEFAULT_HTTP_EXPECT : given(spec.expect) ? unescape(spec.expect) : null;
  const send = sendText === null ? null : Buffer.from(sendText, 'utf8');
  const sent = send ? printable(send) : '';
  let expectation: Expectation | null = null;
  if (expectText !== null) {
    try {
      expectation = makeExpectation(expectText, spec.useRegex && !http, timeoutSec);
    } catch (e) {
      if (e instanceof BadRegexError) return { kind: 'invalid', description, sent, error: e.message };
      throw e;
    }
  }
  const readCap = expectText === null ? 0 : Buffer.byteLength(expectText, 'utf8');
  if (spec.protocol === 'udp') {
    return { kind: 'udp', description, sent, probe: { address, port, send: send ?? EMPTY, expectation, timeoutSec, readCap } };
  }
  const regex = spec.useRegex && !http && expectText !== null && expectText !== '*';
  return { kind: 'tcp', description, sent, probe: { address, port, send, expectation, timeoutSec, readCap }, expectText, regex };
}

/**
 * Plans cached per spec object: the pool runs the same spec every second, and unescaping,
 * encoding and compiling it each time was a visible share of the benchmark's CPU. A spec object
 * changed in place is noticed (the snapshot no longer matches) and planned again.
 */
const plans = new WeakMap<CheckSpec, { snapshot: CheckSpec; plan: Plan }>();

function planFor(spec: CheckSpec): Plan {
  const cached = plans.get(spec);
  if (cached && sameCheck(cached.snapshot, spec)) return cached.plan;
  const plan = makePlan(spec);
  plans.set(spec, { snapshot: { ...spec }, plan });
  return plan;
}

function probe(plan: Plan, signal?: AbortSignal): Promise<ProbeResult> {
  switch (plan.kind) {
    case 'program':
      return programProbe(plan.probe, signal);
    case 'udp':
      return udpProbe(plan.probe, signal);
    case 'tcp':
      return tcpProbe(plan.probe, signal);
    case 'invalid':
      return Promise.resolve({ ok: false, received: EMPTY, error: plan.error });
  }
}

/**
 * A scheduled TCP check that native/checks.c can run (agent/checkers/native-checks.ts): an IPv4
 * address, and no expect or a prefix expect or "*" (a regex stays in JavaScript). `failure` turns
 * the native verdict into the same sentence the JavaScript probe (tcp.ts) gives.
 */
export interface NativeTcpPlan {
  ip: number;
  port: number;
  send: Buffer | null;
  expect: Buffer | null;
  expectAny: boolean;
  timeoutSec: number;
  failure(kind: NativeFailure, errno: number, received: Buffer): string;
}

export function nativeTcpPlan(spec: CheckSpec): NativeTcpPlan | null {
  let plan: Plan;
  try {
    plan = planFor(spec);
  } catch {
    return null;
  }
  const ip = parseIPv4(spec.address);
  if (plan.kind !== 'tcp' || plan.regex || ip === null) return null;
  const { probe, expectText } = plan;
  if (!validPort(probe.port)) return null;
  const where = `${probe.address}:${probe.port}`;
  const decided = (received: Buffer, end: 'closed' | 'timeout' | null, otherwise: string): string => {
    const v = probe.expectation?.decide(received, end);
    return v && !v.ok ? v.error : otherwise;
  };
  return {
    ip,
    port: probe.port,
    send: probe.send,
    expect: expectText === null || expectText === '*' ? null : Buffer.from(expectText, 'utf8'),
    expectAny: expectText === '*',
    timeoutSec: probe.timeoutSec,
    failure(kind, errno, received) {
      switch (kind) {
        case Outcome.socket:
          return `socket ${errorName(-errno)}`;
        case Outcome.connect:
          return `connect ${errorName(-errno)} ${where}`;
        case Outcome.connectTimeout:
          return `connect to ${where} timed out after ${formatSeconds(probe.timeoutSec)} s`;
        case Outcome.write:
          return `write ${errorName(-errno)}`;
        case Outcome.read:
          return `read ${errorName(-errno)}`;
        case Outcome.closed:
          return decided(received, 'closed', 'connection closed');
        case Outcome.timeout:
          return decided(received, 'timeout', `timed out after ${formatSeconds(probe.timeoutSec)} s writing the send string`);
        case Outcome.mismatch:
          return decided(received, null, 'unexpected answer');
      }
    },
  };
}

/** What a scheduled check reports: the verdict and, when down, why; the probe's answer for the check's history. */
export type CheckDone = (ok: boolean, error: string | null, result?: ProbeResult) => void;

/** Starts a scheduled check (see startCheck). */
export type StartCheck = (spec: CheckSpec, done: CheckDone) => RunningProbe;

function failedBeforeStart(done: CheckDone, error: string): RunningProbe {
  process.nextTick(done, false, error);
  return { cancel() {} };
}

/**
 * Starts one check for the pool's schedule: `done` is called once, always on a later turn, with
 * the verdict only. No transcript is built (runCheck is for that): at ten thousand checks a second
 * the printable copy of every answer and the promises around it were a large share of the CPU.
 */
export function startCheck(spec: CheckSpec, done: CheckDone): RunningProbe {
  let plan: Plan;
  try {
    plan = planFor(spec);
  } catch (e) {
    return failedBeforeStart(done, (e as Error).message);
  }
  switch (plan.kind) {
    case 'tcp':
      return startTcpProbe(plan.probe, (r) => done(r.ok, r.ok ? null : r.error ?? 'check failed', r));
    case 'invalid':
      return failedBeforeStart(done, plan.error);
    case 'udp':
    case 'program': {
      // One datagram or one program run per check: a promise and a controller are cheap next to that.
      const ac = new AbortController();
      probe(plan, ac.signal).then(
        (r) => done(r.ok, r.ok ? null : r.error ?? 'check failed', r),
        (e: unknown) => done(false, (e as Error)?.message ?? String(e)),
      );
      return { cancel: () => ac.abort() };
    }
  }
}

export async function runCheck(spec: CheckSpec, signal?: AbortSignal): Promise<CheckOutcome> {
  const started = performance.now();
  let plan: Plan;
  let result: ProbeResult;
  try {
    plan = planFor(spec);
  } catch (e) {
    return { ok: false, sent: '', received: '', error: (e as Error).message, durationMs: 0, description: describeCheck(spec) };
  }
  try {
    result = await probe(plan, signal);
  } catch (e) {
    // A probe that throws (e.g. an invalid port rejected by net.connect) is a failed check, not a crash.
    result = { ok: false, received: EMPTY, error: (e as Error).message };
  }
  return {
    ok: result.ok,
    sent: plan.sent,
    received: result.received.length === 0 ? '' : printable(result.received),
    error: result.ok ? null : result.error ?? 'check failed',
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    description: plan.description,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
  };
}

/** What a check sends and expects, printable, as its history shows them (the same for every run). */
export function checkExchange(spec: CheckSpec): { description: string; sent: string; expect: string | null } {
  try {
    const plan = planFor(spec);
    const expect = plan.kind === 'tcp' ? plan.expectText : plan.kind === 'program' ? plan.probe.expect : given(spec.expect) ? unescape(spec.expect) : null;
    return { description: plan.description, sent: plan.sent, expect: expect === null ? null : printable(Buffer.from(expect, 'utf8')) };
  } catch (e) {
    return { description: describeCheck(spec), sent: '', expect: null };
  }
}
