// The router pair's layouts (lvs.cf `backup_active = 1`): two routers, `r1` the primary and `r2`
// the backup, each a namespace with its own IPVS table and its own agent; the floating addresses
// (VIPs and, for NAT, nat_router) are held by whichever is active and announced by gratuitous ARP.
// - NAT: client, both routers and the VIP on the outside LAN (203.0.113.0/24: the client asks ARP
//   for the VIP, so the active router's announcement is what moves its traffic); routers and real
//   servers on the inside LAN (192.0.2.0/24) whose gateway is the floating nat_router address.
// - Direct routing: everything on one LAN (192.0.2.0/24), the VIP on the real servers' lo.
// Heartbeats go between the routers' own outside (NAT) or LAN (direct) addresses.
import type { Lab } from '../../../testing/lab.ts';
import { CLIENT, realAddress, startReals, type Reals } from './topology.ts';

export const PRIMARY = 'r1';
export const BACKUP = 'r2';
export const ROUTERS = [PRIMARY, BACKUP] as const;

export interface PairLayout {
  network: 'nat' | 'direct';
  /** The routers' own addresses: lvs.cf's primary and backup, where heartbeats go. */
  primary: string;
  backup: string;
  /** The floating VIP the client connects to. */
  vip: string;
  /** Its device as lvs.cf says it. */
  vipDevice: string;
  /** NAT: the floating gateway of the real servers. */
  natRouter?: { address: string; device: string };
  /** The client's own address. */
  client: string;
  reals: Reals;
}

/** The addresses the active router holds: the VIP and, for NAT, the real servers' gateway; each with its kernel device. */
export function floatingOf(layout: PairLayout): { address: string; device: string }[] {
  const kernelDevice = (label: string) => label.split(':')[0]!;
  return [
    { address: layout.vip, device: kernelDevice(layout.vipDevice) },
    ...(layout.natRouter ? [{ address: layout.natRouter.address, device: kernelDevice(layout.natRouter.device) }] : []),
  ];
}

export async function natPairLab(lab: Lab, o: { reals: number; ports: number[] }): Promise<PairLayout> {
  lab.lans(['out', 'in']);
  lab.machine(CLIENT, [{ lan: 'out', dev: 'eth0', addresses: ['203.0.113.10/24'] }]);
  ROUTERS.forEach((r, i) => {
    lab.machine(r, [
      { lan: 'out', dev: 'eth0', addresses: [`203.0.113.${2 + i}/24`] },
      { lan: 'in', dev: 'eth1', addresses: [`192.0.2.${2 + i}/24`] },
    ]);
    lab.sysctl(r, ['net.ipv4.ip_forward=1']);
  });
  for (let i = 1; i <= o.reals; i++) {
    lab.machine(`rs${i}`, [{ lan: 'in', dev: 'eth0', addresses: [`${realAddress(i)}/24`] }], ['route add default via 192.0.2.1']);
  }
  return {
    network: 'nat',
    primary: '203.0.113.2',
    backup: '203.0.113.3',
    vip: '203.0.113.50',
    vipDevice: 'eth0:1',
    natRouter: { address: '192.0.2.1', device: 'eth1:1' },
    client: '203.0.113.10',
    reals: await startReals(lab, o.reals, o.ports),
  };
}

export async function directPairLab(lab: Lab, o: { reals: number; ports: number[] }): Promise<PairLayout> {
  const vip = '192.0.2.50';
  lab.lans(['lan']);
  lab.machine(CLIENT, [{ lan: 'lan', dev: 'eth0', addresses: ['192.0.2.100/24'] }]);
  ROUTERS.forEach((r, i) => lab.machine(r, [{ lan: 'lan', dev: 'eth0', addresses: [`192.0.2.${2 + i}/24`] }]));
  for (let i = 1; i <= o.reals; i++) {
    const m = `rs${i}`;
    lab.machine(m, [{ lan: 'lan', dev: 'eth0', addresses: [`${realAddress(i)}/24`] }], [`addr add ${vip}/32 dev lo`]);
    lab.sysctl(m, ['net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.eth0.arp_ignore=1', 'net.ipv4.conf.eth0.arp_announce=2']);
  }
  return {
    network: 'direct',
    primary: '192.0.2.2',
    backup: '192.0.2.3',
    vip,
    vipDevice: 'eth0:1',
    client: '192.0.2.100',
    reals: await startReals(lab, o.reals, o.ports),
  };
}
