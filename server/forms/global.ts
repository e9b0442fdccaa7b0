// GLOBAL SETTINGS (manual ch.4 §4, original global_settings.php): the primary router's addresses,
// the network type, the NAT router, and the IPVS connection timeouts.
import { z } from 'zod';
import { NETWORKS, type Edit, type LvsConfig } from '../../lvs-cf/index.ts';
import { changed, panelForm, setterOf, type Values } from './form.ts';
import { choice, host, netmask, optionalDevice, optionalHost, optionalIpv4, optionalSeconds } from './fields.ts';

const set = setterOf({ scope: 'global' });

export const NETWORK_LABELS: Record<(typeof NETWORKS)[number], string> = {
  nat: 'NAT',
  direct: 'Direct Routing',
  tunnel: 'Tunneling',
};

const schema = z
  .object({
    primary: host,
    primary_private: optionalHost,
    network: choice(NETWORKS, 'Choose NAT, Direct Routing or Tunneling.'),
    nat_ip: optionalIpv4,
    nat_nmask: netmask,
    nat_dev: optionalDevice,
    tcp_timeout: optionalSeconds,
    tcpfin_timeout: optionalSeconds,
    udp_timeout: optionalSeconds,
  })
  .superRefine((v, ctx) => {
    if (v.network !== 'nat') return;
    if (v.nat_ip === '') ctx.addIssue({ code: 'custom', path: ['nat_ip'], message: 'Required for NAT: the floating IP the real servers use as their gateway.' });
    if (v.nat_dev === '') ctx.addIssue({ code: 'custom', path: ['nat_dev'], message: 'Required for NAT: the interface for the floating IP, e.g. eth1:1.' });
  });

export const globalForm = panelForm<LvsConfig>(schema, {
  initial(m) {
    return {
      primary: m.primary ?? '',
      primary_private: m.primary_private ?? '',
      network: m.network,
      nat_ip: m.nat_router?.address ?? '',
      nat_nmask: m.nat_nmask && m.nat_nmask !== '0.0.0.0' ? m.nat_nmask : '',
      nat_dev: m.nat_router?.device ?? '',
      tcp_timeout: m.tcp_timeout ? String(m.tcp_timeout) : '',
      tcpfin_timeout: m.tcpfin_timeout ? String(m.tcpfin_timeout) : '',
      udp_timeout: m.udp_timeout ? String(m.udp_timeout) : '',
    };
  },
  edits(v: Values, init: Values, m: LvsConfig) {
    const out: Edit[] = [];
    if (changed(v, init, 'primary')) out.push(set('primary', v.primary));
    if (changed(v, init, 'primary_private')) {
      out.push(set('primary_private', v.primary_private || null));
      // Without a private primary there is no private heartbeat channel: the original cleared the
      // backup's private address too, so pulse is never left with half a channel.
      if (v.primary_private === '' && m.backup_private !== null) out.push(set('backup_private', null));
    }
    if (changed(v, init, 'network')) out.push(set('network', v.network));
    if (v.network === 'nat') {
      if (changed(v, init, 'nat_ip', 'nat_dev')) out.push(set('nat_router', `${v.nat_ip} ${v.nat_dev}`));
      if (changed(v, init, 'nat_nmask')) out.push(set('nat_nmask', v.nat_nmask || null));
    } else {
      // The NAT router only means something for NAT (the original cleared it on Direct/Tunneling).
      if (m.nat_router !== null) out.push(set('nat_router', null));
      if (m.nat_nmask !== null) out.push(set('nat_nmask', null));
    }
    for (const k of ['tcp_timeout', 'tcpfin_timeout', 'udp_timeout']) {
      if (changed(v, init, k)) out.push(set(k, v[k] === '' ? null : Number(v[k])));
    }
    return out;
  },
}, { nat_router: 'nat_ip' });
