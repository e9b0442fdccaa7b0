// The names and addresses this console answers to, checked against every request's Host header.
// A browser tricked by DNS rebinding (a page of evil.example whose name later resolves to the
// router) sends the attacker's name as Host and as Origin: the CSRF check's same-origin test alone
// cannot tell that from a real same-origin request, so the name itself must be one of ours.
//
// Allowed by default: localhost and every loopback address, the machine's host name, the address
// the console listens on, and every address of the machine's interfaces (re-read at most once a
// second when an unknown address arrives, so a VIP taken over a moment ago is accepted at once).
// More names with --allowed-hosts. Ports are not compared: the listener decides which port answers.
import { hostname as osHostname, networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.ts';

export interface AllowedHostsOptions {
  /** Names or addresses given by the administrator (--allowed-hosts). */
  extra?: readonly string[];
  /** The address the console listens on (0.0.0.0 and :: add nothing). */
  listen?: string;
  /** The machine's host name (tests pass their own). */
  hostname?: () => string;
  /** The machine's interface addresses (tests pass their own). */
  addresses?: () => string[];
  now?: () => number;
}

/** How often at most the interface addresses are re-read because of an unknown address. */
const REREAD_MS = 1000;

/** The host part of a Host header, normalized (lower case, no port, no brackets, no trailing dot); null when it is not one. */
export function hostOf(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h === '') return null;
  let host: string;
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close < 0) return null;
    const rest = h.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    host = h.slice(1, close);
    return ipaddr.IPv6.isValid(host) ? ipaddr.parse(host).toNormalizedString() : null;
  }
  const colon = h.indexOf(':');
  if (colon >= 0) {
    if (!/^:\d{1,5}$/.test(h.slice(colon))) return null;
    host = h.slice(0, colon);
  } else {
    host = h;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (!/^[a-z0-9._-]{1,253}$/.test(host)) return null;
  return host;
}

/** One configured entry normalized the way hostOf normalizes a header (an IPv6 address may come without brackets). */
export function normalizeEntry(entry: string): string | null {
  const e = entry.trim().toLowerCase();
  if (ipaddr.IPv6.isValid(e)) return ipaddr.parse(e).toNormalizedString();
  return hostOf(e);
}

function machineAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  const a = ipaddr.process(host);
  return a.range() === 'loopback';
}

export class AllowedHosts {
  private readonly fixed = new Set<string>();
  private readonly addresses: () => string[];
  private readonly now: () => number;
  private machine = new Set<string>();
  private readAt = -Infinity;

  constructor(opts: AllowedHostsOptions = {}) {
    for (const e of opts.extra ?? []) {
      const n = normalizeEntry(e);
      if (n === null) throw new Error(`--allowed-hosts: "${e}" is not a host name or an IP address`);
      this.fixed.add(n);
    }
    const name = normalizeEntry((opts.hostname ?? osHostname)());
    if (name !== null) this.fixed.add(name);
    if (opts.listen !== undefined) {
      const l = normalizeEntry(opts.listen);
      if (l !== null && l !== '0.0.0.0' && l !== '0:0:0:0:0:0:0:0') this.fixed.add(l);
    }
    this.addresses = opts.addresses ?? machineAddresses;
    this.now = opts.now ?? Date.now;
    this.reread();
  }

  /** Whether a request carrying this Host header is for this console. */
  allows(header: string | undefined): boolean {
    if (header === undefined) return false;
    const host = hostOf(header);
    if (host === null) return false;
    if (this.fixed.has(host) || isLoopback(host) || this.machine.has(host)) return true;
    // An address not seen yet may have been added since (a VIP after a failover).
    if (ipaddr.isValid(host) && this.now() - this.readAt >= REREAD_MS) {
      this.reread();
      return this.machine.has(host);
    }
    return false;
  }

  /** The names given or found, for messages and the documentation's examples. */
  describe(): string[] {
    return [...this.fixed, ...this.machine].sort();
  }

  private reread(): void {
    const next = new Set<string>();
    for (const a of this.addresses()) {
      const n = normalizeEntry(a.replace(/%.*$/, ''));
      if (n !== null) next.add(n);
    }
    this.machine = next;
    this.readAt = this.now();
  }
}

/**
 * Refuses, before anything else runs, a request whose Host is not one of ours: 421 Misdirected
 * Request, the status for "this server is not the one that name is for", or 400 without a Host.
 */
export function registerHostCheck(app: FastifyInstance, hosts: AllowedHosts): void {
  app.addHook('onRequest', async (req) => {
    const header = req.headers.host;
    if (header === undefined || header === '') throw new HttpError(400, 'The request has no Host header; the console answers only requests that name it.');
    if (!hosts.allows(header)) {
      req.log.warn({ client: req.ip, host: header }, 'request for a host this console does not serve');
      throw new HttpError(
        421,
        `This console does not answer to the name "${header.slice(0, 100)}". If it is a name of this router, start piranha-gui with --allowed-hosts ${hostOf(header) ?? 'NAME'}. (A page of another site reaching the console through a name it controls, DNS rebinding, looks the same.)`,
      );
    }
  });
}
