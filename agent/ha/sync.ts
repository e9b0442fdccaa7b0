// Configuration sync: the manual's "copy lvs.cf to the backup with scp" step, done by the agents.
// After a save the router pushes lvs.cf to its partner over TCP on heartbeat_port + 1; the
// partner checks the sender address and the HMAC (shared heartbeat key) over the text plus a
// timestamp and a nonce (no replay), validates the text with the lvs-cf library, keeps the old
// file in history/, writes the new one atomically and reloads. Without a key sync is refused
// unless explicitly allowed, since an unauthenticated push would let anyone rewrite lvs.cf —
// whose active_cmd runs as root.
//
// Wire: one JSON line each way. Request {v, node, time, nonce, text, mac}; answer {ok, ...}.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parse, formatDiagnostic, type LvsConfig } from '../../lvs-cf/index.ts';
import { writeFileAtomic } from '../../common/atomic-write.ts';
import type { HaNode } from './heartbeat-packet.ts';

export const SYNC_VERSION = 1;
/** Larger than any real lvs.cf (1,000 virtual servers × 20 real servers is about 2 MB). */
export const MAX_SYNC_BYTES = 16 * 1024 * 1024;
/** Pushes older or newer than this (sender's clock vs ours) are refused; nonces are remembered this long. */
export const SYNC_CLOCK_WINDOW_MS = 5 * 60 * 1000;
const CONNECT_TIMEOUT_MS = 5000;
const HISTORY_KEEP = 100;

const requestSchema = z.object({
  v: z.literal(SYNC_VERSION),
  node: z.enum(['primary', 'backup']),
  time: z.number().int(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  text: z.string().max(MAX_SYNC_BYTES),
  mac: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});
type SyncRequest = z.infer<typeof requestSchema>;

const answerSchema = z.union([
  z.object({ ok: z.literal(true), serial: z.number().nullable(), unchanged: z.boolean() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type SyncAnswer = z.infer<typeof answerSchema>;

export interface SyncState {
  localSerial: number | null;
  partnerSerial: number | null;
  /** false when both serials are known and differ: the console warns. */
  inSync: boolean | null;
  lastSync: { time: string; direction: 'sent' | 'received'; serial: number | null } | null;
  lastError: { time: string; message: string } | null;
}

function mac(key: Buffer, r: Omit<SyncRequest, 'mac' | 'v'>): string {
  const digest = createHash('sha256').update(r.text).digest('hex');
  return createHmac('sha256', key).update(`piranha-sync-v${SYNC_VERSION}\n${r.node}\n${r.time}\n${r.nonce}\n${digest}`).digest('hex');
}

export interface SyncOptions {
  root: string;
  node: HaNode;
  key: Buffer | null;
  /** Accept and send unauthenticated pushes when no key exists (off unless the operator says so). */
  allowUnauthenticated: boolean;
  log: (msg: string) => void;
  /** Called after the received file is written: the agent reloads it. */
  onConfigReceived: (text: string, model: LvsConfig) => Promise<void>;
  now?: () => number;
}

export class ConfigSync {
  private servers: Server[] = [];
  private readonly seenNonces = new Map<string, number>();
  private partners = new Set<string>();
  /** Serialises received pushes: two in flight must not interleave their history/write steps. */
  private applying: Promise<unknown> = Promise.resolve();
  readonly state: SyncState = { localSerial: null, partnerSerial: null, inSync: null, lastSync: null, lastError: null };
  private readonly now: () => number;

  constructor(private readonly opts: SyncOptions) {
    this.now = opts.now ?? Date.now;
  }

  get lvsCfPath(): string {
    return join(this.opts.root, 'lvs.cf');
  }

  setSerials(local: number | null, partner: number | null): void {
    this.state.localSerial = local;
    this.state.partnerSerial = partner;
    this.state.inSync = local === null || partner === null ? null : local === partner;
  }

  /** Listens on each local address at `port`; only `partners` may push. */
  async listen(locals: string[], port: number, partners: string[]): Promise<void> {
    this.partners = new Set(partners);
    for (const address of locals) {
      // Half-open: the sender ends its side after the request and still reads our answer.
      const server = createServer({ allowHalfOpen: true }, (sock) => this.serve(sock));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  close(): void {
    for (const s of this.servers) s.close();
    this.servers = [];
  }

  /**
   * Sends `text` to the partner, trying each address in turn; resolves with the partner's answer.
   * A target given with `local` connects from that address: the partner accepts pushes only from
   * our configured addresses, and the kernel's choice of source (127.0.0.1 on loopback, a VIP
   * or another secondary address on a router) need not be one of them.
   */
  async push(text: string, partners: (string | { address: string; local: string })[], port: number): Promise<SyncAnswer> {
    const serial = parse(text).model?.serial_no ?? null;
    let answer: SyncAnswer = { ok: false, error: 'no partner address configured (backup_active = 0?)' };
    if (!this.opts.key && !this.opts.allowUnauthenticated) {
      answer = { ok: false, error: `no heartbeat key (${join(this.opts.root, 'conf/heartbeat.key')}): configuration sync is off; run piranha-heartbeat-key and copy the key to the partner` };
    } else {
      for (const target of partners) {
        const { address, local } = typeof target === 'string' ? { address: target, local: undefined } : target;
        answer = await this.send(address, port, text, local).catch((err: Error) => ({ ok: false as const, error: `${address}:${port}: ${err.message}` }));
        if (answer.ok) break;
      }
    }
    if (answer.ok) {
      this.state.lastSync = { time: new Date(this.now()).toISOString(), direction: 'sent', serial };
      this.state.lastError = null;
      this.setSerials(this.state.localSerial, serial);
      this.opts.log(`lvs.cf (serial ${serial}) ${answer.unchanged ? 'already on' : 'pushed to'} the partner`);
    } else {
      this.fail(`push to partner failed: ${answer.error}`);
    }
    return answer;
  }

  private send(address: string, port: number, text: string, localAddress?: string): Promise<SyncAnswer> {
    const base = { node: this.opts.node, time: this.now(), nonce: randomBytes(16).toString('hex'), text };
    const request: SyncRequest = { v: SYNC_VERSION, ...base, mac: this.opts.key ? mac(this.opts.key, base) : null };
    return new Promise((resolve, reject) => {
      const sock = connect({ host: address, port, localAddress });
      sock.setTimeout(CONNECT_TIMEOUT_MS, () => sock.destroy(new Error('timed out')));
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.end(`${JSON.stringify(request)}\n`));
      sock.on('data', (d: string) => (buf += d));
      sock.on('error', reject);
      sock.on('close', () => {
        const line = buf.split('\n')[0];
        try {
          resolve(answerSchema.parse(JSON.parse(line)));
        } catch {
          reject(new Error(line ? `unreadable answer: ${line.slice(0, 200)}` : 'connection closed without an answer'));
        }
      });
    });
  }

  private serve(sock: Socket): void {
    const from = sock.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const answer = (a: SyncAnswer) => sock.end(`${JSON.stringify(a)}\n`);
    if (!this.partners.has(from)) {
      this.fail(`sync connection from ${from} refused: not the partner`);
      sock.destroy();
      return;
    }
    sock.setTimeout(CONNECT_TIMEOUT_MS * 2, () => sock.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    let handled = false;
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      if (handled) return;
      size += d.length;
      if (size > MAX_SYNC_BYTES * 2 + 4096) {
        answer({ ok: false, error: 'push too large' });
        sock.destroy();
        return;
      }
      chunks.push(d);
      if (d.includes(0x0a)) {
        handled = true;
        sock.pause();
        const line = Buffer.concat(chunks).toString('utf8').split('\n')[0];
        this.applying = this.applying.then(() => this.receive(line, from)).then(answer, (err: Error) => answer({ ok: false, error: err.message }));
      }
    });
  }

  private async receive(line: string, from: string): Promise<SyncAnswer> {
    let req: SyncRequest;
    try {
      req = requestSchema.parse(JSON.parse(line));
    } catch {
      return this.refuse(from, 'malformed sync request');
    }
    if (req.node === this.opts.node) return this.refuse(from, `the sender says it is the ${req.node} too`);
    if (this.opts.key) {
      if (req.mac === null) return this.refuse(from, 'unauthenticated push while a heartbeat key is configured');
      const expected = Buffer.from(mac(this.opts.key, req), 'hex');
      if (!timingSafeEqual(expected, Buffer.from(req.mac, 'hex'))) return this.refuse(from, 'bad HMAC: the routers do not share the same heartbeat key');
    } else if (!this.opts.allowUnauthenticated) {
      return this.refuse(from, 'no heartbeat key on this router: unauthenticated configuration pushes are refused');
    }
    const now = this.now();
    if (Math.abs(now - req.time) > SYNC_CLOCK_WINDOW_MS) return this.refuse(from, `timestamp ${new Date(req.time).toISOString()} outside ±5 min of this router's clock`);
    for (const [n, t] of this.seenNonces) if (now - t > SYNC_CLOCK_WINDOW_MS * 2) this.seenNonces.delete(n);
    if (this.seenNonces.has(req.nonce)) return this.refuse(from, 'replayed push (nonce seen before)');
    this.seenNonces.set(req.nonce, now);

    const result = parse(req.text);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (!result.ok || !result.model || errors.length > 0) {
      const message = errors.map((d) => formatDiagnostic(d, req.text, 'lvs.cf (pushed)')).join('\n');
      return this.refuse(from, `the pushed lvs.cf does not validate; keeping ours:\n${message}`);
    }
    const previous = await readFile(this.lvsCfPath, 'utf8').catch(() => null);
    const serial = result.model.serial_no;
    if (previous === req.text) {
      this.state.lastSync = { time: new Date(now).toISOString(), direction: 'received', serial };
      return { ok: true, serial, unchanged: true };
    }
    if (previous !== null) await this.keepHistory(previous);
    await writeFileAtomic(this.lvsCfPath, req.text, 0o644);
    this.state.lastSync = { time: new Date(now).toISOString(), direction: 'received', serial };
    this.state.lastError = null;
    this.setSerials(serial, serial);
    this.opts.log(`lvs.cf (serial ${serial}) received from ${from}, written; reloading`);
    try {
      await this.opts.onConfigReceived(req.text, result.model);
    } catch (err) {
      this.fail(`reload after sync failed: ${(err as Error).message}`);
      return { ok: false, error: `written but the reload failed: ${(err as Error).message}` };
    }
    return { ok: true, serial, unchanged: false };
  }

  /** The replaced file goes to history/ under the console's naming, so its history view lists it. */
  private async keepHistory(text: string): Promise<void> {
    const dir = join(this.opts.root, 'history');
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const serial = parse(text).model?.serial_no ?? 'unknown';
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    const version = createHash('sha256').update(text).digest('hex');
    await writeFileAtomic(join(dir, `lvs.cf.${stamp}.serial-${serial}.${version.slice(0, 16)}`), text, 0o640);
    const names = (await readdir(dir)).filter((n) => n.startsWith('lvs.cf.')).sort();
    for (const old of names.slice(0, Math.max(0, names.length - HISTORY_KEEP))) await unlink(join(dir, old)).catch(() => undefined);
  }

  private refuse(from: string, message: string): SyncAnswer {
    this.fail(`sync from ${from} refused: ${message}`);
    return { ok: false, error: message };
  }

  private fail(message: string): void {
    this.state.lastError = { time: new Date(this.now()).toISOString(), message };
    this.opts.log(message);
  }
}
