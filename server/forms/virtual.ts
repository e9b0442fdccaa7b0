// VIRTUAL SERVER subsection (manual ch.4 §6.1, original virtual_edit_virt.php).
import { z } from 'zod';
import { SCHEDULERS, type Edit, type LvsConfig } from '../../lvs-cf/index.ts';
import { changed, panelForm, setterOf, type Values } from './form.ts';
import { choice, device, fwmark, ipv4, netmask, optionalIpv4, optionalSeconds, port, seconds, serverName } from './fields.ts';

export interface VirtualCtx {
  model: LvsConfig;
  virtual: number;
}

export const LOAD_MONITORS = ['none', 'rup', 'ruptime', 'uptime'] as const;

const schema = z.object({
  name: serverName,
  port: port,
  protocol: choice(['tcp', 'udp'] as const, 'Choose TCP or UDP.'),
  address: ipv4,
  vip_nmask: netmask,
  sorry_server: optionalIpv4,
  fwmark: fwmark,
  device: device,
  reentry: seconds(0),
  timeout: seconds(1),
  quiesce_server: choice(['0', '1'] as const, 'Choose Yes or No.'),
  load_monitor: choice(LOAD_MONITORS, 'Choose none, rup or ruptime.'),
  scheduler: choice(SCHEDULERS, 'Choose a scheduling algorithm from the list.'),
  persistent: optionalSeconds,
  pmask: netmask,
});

const num = (s: string) => (s === '' || s === '0' ? null : Number(s));

export const virtualForm = panelForm<VirtualCtx>(schema, {
  initial({ model, virtual }) {
    const v = model.virtuals[virtual];
    return {
      name: v.name,
      port: String(v.port),
      protocol: v.protocol,
      address: v.address ?? '',
      vip_nmask: v.vip_nmask ?? '',
      sorry_server: v.sorry_server ?? '',
      fwmark: v.fwmark ? String(v.fwmark) : '',
      device: v.device ?? '',
      reentry: String(v.reentry),
      timeout: String(v.timeout),
      quiesce_server: v.quiesce_server ? '1' : '0',
      load_monitor: v.load_monitor ?? 'none',
      scheduler: v.scheduler,
      persistent: v.persistent ? String(v.persistent) : '',
      pmask: v.pmask ?? '',
    };
  },
  edits(v: Values, init: Values, { virtual }: VirtualCtx) {
    const set = setterOf({ scope: 'virtual', virtual });
    const out: Edit[] = [];
    if (changed(v, init, 'name')) out.push({ op: 'renameVirtual', virtual, name: v.name });
    if (changed(v, init, 'address', 'device')) out.push(set('address', `${v.address} ${v.device}`));
    if (changed(v, init, 'sorry_server')) out.push(set('sorry_server', v.sorry_server || null));
    if (changed(v, init, 'vip_nmask')) out.push(set('vip_nmask', v.vip_nmask || null));
    if (changed(v, init, 'fwmark')) out.push(set('fwmark', num(v.fwmark)));
    if (changed(v, init, 'port')) out.push(set('port', Number(v.port)));
    if (changed(v, init, 'persistent')) out.push(set('persistent', num(v.persistent)));
    if (changed(v, init, 'pmask')) out.push(set('pmask', v.pmask || null));
    if (changed(v, init, 'load_monitor')) out.push(set('load_monitor', v.load_monitor));
    if (changed(v, init, 'scheduler')) out.push(set('scheduler', v.scheduler));
    if (changed(v, init, 'protocol')) out.push(set('protocol', v.protocol));
    if (changed(v, init, 'timeout')) out.push(set('timeout', Number(v.timeout)));
    if (changed(v, init, 'reentry')) out.push(set('reentry', Number(v.reentry)));
    if (changed(v, init, 'quiesce_server')) out.push(set('quiesce_server', v.quiesce_server === '1'));
    return out;
  },
});
