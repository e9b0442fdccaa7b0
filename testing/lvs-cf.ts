// lvs.cf texts for tests: a builder for files the agent runs (the GUI's layout, one line per
// setting), the sample file the console's tests edit, and writing one into a root.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TestReal {
  name: string;
  address: string;
  /** Omitted: the virtual server's port, as lvs.cf means it. */
  port?: number;
  weight?: number;
  active?: boolean;
}
export interface TestVirtual {
  name: string;
  vip: string;
  /** The VIP's device (default `lo`: the userspace dataplane needs none). */
  device?: string;
  port: number;
  protocol?: 'tcp' | 'udp';
  scheduler?: string;
  persistent?: number;
  pmask?: string;
  /** A firewall-mark virtual server: IPVS keys the service by this mark (set by nftables). */
  fwmark?: number;
  timeout?: number;
  reentry?: number;
  quiesce?: boolean;
  sorry?: string;
  /** Text between the quotes, escapes as lvs.cf writes them (e.g. `GET / HTTP/1.0\r\n\r\n`). */
  send?: string;
  expect?: string;
  /** A send_program command line (absolute path; %h and %p are the real server's address and port). */
  sendProgram?: string;
  active?: boolean;
  servers: TestReal[];
}
export interface TestConfig {
  serial?: number;
  network?: 'nat' | 'direct' | 'tunnel';
  /** With network nat: the real servers' gateway, an address and device of the router. */
  natRouter?: { address: string; device: string };
  /** The primary router's address (default 127.0.0.1). */
  primary?: string;
  /** A backup router: `backup_active = 1` and its address. */
  backup?: string;
  heartbeatPort?: number;
  keepalive?: number;
  deadtime?: number;
  monitorLinks?: boolean;
  virtuals: TestVirtual[];
}

/** An lvs.cf in the GUI's layout (network direct unless told: the userspace dataplane needs no NAT router). */
export function lvsCf(opts: TestConfig): string {
  const out = [
    `serial_no = ${opts.serial ?? 1}`,
    `primary = ${opts.primary ?? '127.0.0.1'}`,
    'service = lvs',
    ...(opts.backup ? ['backup_active = 1', `backup = ${opts.backup}`] : ['backup_active = 0']),
    'heartbeat = 1',
    `heartbeat_port = ${opts.heartbeatPort ?? 539}`,
    `keepalive = ${opts.keepalive ?? 6}`,
    `deadtime = ${opts.deadtime ?? 18}`,
    `network = ${opts.network ?? 'direct'}`,
    ...(opts.natRouter ? [`nat_router = ${opts.natRouter.address} ${opts.natRouter.device}`] : []),
    'debug_level = NONE',
    ...(opts.monitorLinks === undefined ? [] : [`monitor_links = ${opts.monitorLinks ? 1 : 0}`]),
  ];
  for (const v of opts.virtuals) {
    out.push(`virtual ${v.name} {`);
    out.push(`     active = ${v.active === false ? 0 : 1}`);
    out.push(`     address = ${v.vip} ${v.device ?? 'lo'}`);
    if (v.sorry) out.push(`     sorry_server = ${v.sorry}`);
    out.push(`     port = ${v.port}`);
    if (v.fwmark) out.push(`     fwmark = ${v.fwmark}`);
    if (v.persistent) out.push(`     persistent = ${v.persistent}`);
    if (v.pmask) out.push(`     pmask = ${v.pmask}`);
    if (v.send !== undefined) out.push(`     send = "${v.send}"`);
    if (v.expect !== undefined) out.push(`     expect = "${v.expect}"`);
    if (v.sendProgram !== undefined) out.push(`     send_program = "${v.sendProgram}"`);
    out.push(`     scheduler = ${v.scheduler ?? 'wlc'}`);
    out.push(`     protocol = ${v.protocol ?? 'tcp'}`);
    out.push(`     timeout = ${v.timeout ?? 1}`);
    out.push(`     reentry = ${v.reentry ?? 2}`);
    out.push(`     quiesce_server = ${v.quiesce ? 1 : 0}`);
    for (const s of v.servers) {
      out.push(`     server ${s.name} {`);
      out.push(`         address = ${s.address}`);
      out.push(`         active = ${s.active === false ? 0 : 1}`);
      if (s.port !== undefined) out.push(`         port = ${s.port}`);
      out.push(`         weight = ${s.weight ?? 1}`);
      out.push('     }');
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

export async function writeLvsCf(root: string, text: string): Promise<void> {
  await writeFile(join(root, 'lvs.cf'), text);
}

/**
 * A redundant pair on loopback, as the agent's and console's pair tests run it: the primary
 * (127.0.0.1 unless told) and `backup` a fresh 127.x address (the agents are told their role with
 * --node), keepalive 1 s, deadtime 2 s, and one virtual server `web` whose VIP is on a device that
 * does not exist, so that `ip addr add` fails and is reported instead of touching this machine.
 */
/** The heartbeat timing of pairCf's pair, in seconds. */
export const PAIR_TIMING = { keepalive: 1, deadtime: 2 } as const;

export function pairCf(o: {
  serial: number;
  primary?: string;
  backup: string;
  /** The heartbeat port. */
  port: number;
  vip: string;
  vport?: number;
  reals?: TestReal[];
  reentry?: number;
}): string {
  return lvsCf({
    serial: o.serial,
    ...(o.primary ? { primary: o.primary } : {}),
    backup: o.backup,
    heartbeatPort: o.port,
    ...PAIR_TIMING,
    monitorLinks: false,
    virtuals: [{ name: 'web', vip: o.vip, device: 'pirtest0:1', port: o.vport ?? 80, servers: o.reals ?? [], ...(o.reentry ? { reentry: o.reentry } : {}) }],
  });
}

/**
 * The sample file's two real servers as the console writes them in a virtual server: r1, and r2 on
 * port 8080 with weight 2 (the browser workflow adds the same two).
 */
export const SAMPLE_REALS = `     server r1 {
         address = 192.168.1.11
         active = 1
         weight = 1
     }
     server r2 {
         address = 192.168.1.12
         active = 1
         port = 8080
         weight = 2
     }
`;

/** The console's sample file: a hand-written comment, one virtual server, two real servers. */
export const SAMPLE = `serial_no = 7
primary = 10.0.0.1
service = lvs
# hand-written comment: must survive every save
backup_active = 0
backup = 0.0.0.0
heartbeat = 1
heartbeat_port = 539
keepalive = 6
deadtime = 18
network = direct
hard_shutdown = 0
virtual web {
     active = 1
     address = 192.168.1.100 eth0:1
     vip_nmask = 255.255.255.0
     port = 80
     send = "GET / HTTP/1.0\\r\\n\\r\\n"
     expect = "HTTP"
     use_regex = 0
     load_monitor = none
     scheduler = wlc
     protocol = tcp
     timeout = 6
     reentry = 15
     quiesce_server = 0
${SAMPLE_REALS}}
`;
