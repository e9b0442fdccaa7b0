// The three LVS layouts of the manual, as labs:
// - NAT: client and router on an outside LAN (203.0.113.0/24), router and real servers on an
//   inside LAN (192.0.2.0/24) whose gateway is the router's nat_router address; the real servers'
//   replies come back through the router.
//   The VIPs are in 198.51.100.0/24, behind the router.
// - Direct routing and tunnelling: client, router and real servers on one LAN (192.0.2.0/24), the
//   VIPs on that LAN too (so the client asks ARP for them: only the router may answer); the real
//   servers hold the VIPs themselves (on lo for direct routing, on tunl0 for tunnelling) and reply
//   to the client directly.
import type { Lab } from '../../../testing/lab.ts';
import { lvsCf } from '../../../testing/lvs-cf.ts';
import { EXPECT_GREETING, RealServer } from './traffic.ts';

export const ROUTER = 'router';
export const CLIENT = 'client';

/** NAT: the router's outside address (the client's gateway to the VIPs) and inside one (nat_router). */
export const NAT_OUTSIDE = '203.0.113.1';
export const NAT_ROUTER = '192.0.2.1';
/** The client's addresses in the NAT lab: the first is the one it uses unless told otherwise. */
export const NAT_CLIENT_SOURCES = Array.from({ length: 16 }, (_, i) => `203.0.113.${10 + i}`);

/** Direct routing and tunnelling: everything on 192.0.2.0/24. */
export const LAN_ROUTER = '192.0.2.1';
export const LAN_CLIENT = '192.0.2.100';

export function realAddress(i: number): string {
  return `192.0.2.${10 + i}`;
}

export interface Reals {
  names: string[];
  servers: RealServer[];
  address(name: string): string;
}

export async function startReals(lab: Lab, count: number, ports: number[]): Promise<Reals> {
  const names = Array.from({ length: count }, (_, i) => `rs${i + 1}`);
  const servers: RealServer[] = [];
  for (const n of names) servers.push(await RealServer.start(lab, n, ports));
  return { names, servers, address: (n) => realAddress(names.indexOf(n) + 1) };
}

/**
 * The NAT lab. The router receives the whole VIP range through one local route (as if every VIP
 * were on its outside interface) and forwards; the real servers route through nat_router.
 */
export async function natLab(lab: Lab, o: { reals: number; ports: number[] }): Promise<Reals> {
  lab.lans(['out', 'in']);
  lab.machine(CLIENT, [{ lan: 'out', dev: 'eth0', addresses: NAT_CLIENT_SOURCES.map((a) => `${a}/24`) }], [`route add 198.51.100.0/24 via ${NAT_OUTSIDE}`]);
  lab.machine(
    ROUTER,
    [
      { lan: 'out', dev: 'eth0', addresses: [`${NAT_OUTSIDE}/24`] },
      { lan: 'in', dev: 'eth1', addresses: [`${NAT_ROUTER}/24`] },
    ],
    ['route add local 198.51.100.0/24 dev lo'],
  );
  lab.sysctl(ROUTER, ['net.ipv4.ip_forward=1']);
  for (let i = 1; i <= o.reals; i++) {
    lab.machine(`rs${i}`, [{ lan: 'in', dev: 'eth0', addresses: [`${realAddress(i)}/24`] }], [`route add default via ${NAT_ROUTER}`]);
  }
  return startReals(lab, o.reals, o.ports);
}

/**
 * Direct routing: the VIPs on the router's eth0 and on every real server's lo, where
 * arp_ignore=1 / arp_announce=2 keep the real servers from answering ARP for them.
 */
export async function directLab(lab: Lab, o: { reals: number; ports: number[]; vips: string[] }): Promise<Reals> {
  lab.lans(['lan']);
  lab.machine(CLIENT, [{ lan: 'lan', dev: 'eth0', addresses: [`${LAN_CLIENT}/24`] }]);
  lab.machine(ROUTER, [{ lan: 'lan', dev: 'eth0', addresses: [`${LAN_ROUTER}/24`, ...o.vips.map((v) => `${v}/32`)] }]);
  for (let i = 1; i <= o.reals; i++) {
    const m = `rs${i}`;
    lab.machine(m, [{ lan: 'lan', dev: 'eth0', addresses: [`${realAddress(i)}/24`] }], o.vips.map((v) => `addr add ${v}/32 dev lo`));
    lab.sysctl(m, ['net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.eth0.arp_ignore=1', 'net.ipv4.conf.eth0.arp_announce=2']);
  }
  return startReals(lab, o.reals, o.ports);
}

/**
 * Tunnelling: the router encapsulates in IPIP to each real server, which holds the VIPs on its
 * tunl0 (with rp_filter off: the inner packet's source is not reachable through tunl0).
 */
export async function tunnelLab(lab: Lab, o: { reals: number; ports: number[]; vips: string[] }): Promise<Reals> {
  lab.lans(['lan']);
  lab.machine(CLIENT, [{ lan: 'lan', dev: 'eth0', addresses: [`${LAN_CLIENT}/24`] }]);
  lab.machine(ROUTER, [{ lan: 'lan', dev: 'eth0', addresses: [`${LAN_ROUTER}/24`, ...o.vips.map((v) => `${v}/32`)] }]);
  for (let i = 1; i <= o.reals; i++) {
    const m = `rs${i}`;
    lab.machine(m, [{ lan: 'lan', dev: 'eth0', addresses: [`${realAddress(i)}/24`] }], ['link set tunl0 up', ...o.vips.map((v) => `addr add ${v}/32 dev tunl0`)]);
    lab.sysctl(m, [
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.tunl0.rp_filter=0',
      'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2',
    ]);
  }
  return startReals(lab, o.reals, o.ports);
}

export interface WebOptions {
  network: 'nat' | 'direct' | 'tunnel';
  vip: string;
  scheduler: string;
  timeout: number;
  serial?: number;
  quiesce?: boolean;
  /** A real server's weight by name; 1 for the others. */
  weights?: Record<string, number>;
}

/**
 * lvs.cf of the suite's usual service: virtual server `web` on `vip` port 80 (eth0:1) over every
 * real server of the lab, checked by the greeting they send; with NAT, the router's inside
 * address floats as nat_router (eth1:1).
 */
export function webConfig(reals: Reals, o: WebOptions): string {
  return lvsCf({
    ...(o.serial !== undefined ? { serial: o.serial } : {}),
    network: o.network,
    ...(o.network === 'nat' ? { natRouter: { address: NAT_ROUTER, device: 'eth1:1' } } : {}),
    virtuals: [{
      name: 'web', vip: o.vip, device: 'eth0:1', port: 80, scheduler: o.scheduler, timeout: o.timeout, ...(o.quiesce ? { quiesce: true } : {}), expect: EXPECT_GREETING,
      servers: reals.names.map((n) => ({ name: n, address: reals.address(n), weight: o.weights?.[n] ?? 1 })),
    }],
  });
}
