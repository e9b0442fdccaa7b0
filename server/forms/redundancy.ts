// REDUNDANCY (manual ch.4 §5, original redundancy.php): the backup router and the heartbeat.
import { z } from 'zod';
import type { Edit, LvsConfig } from '../../lvs-cf/index.ts';
import { changed, panelForm, setterOf, type Values } from './form.ts';
import { checkbox, host, optionalDevice, optionalHost, optionalPort, seconds, syncdId } from './fields.ts';

const set = setterOf({ scope: 'global' });

export const DEFAULT_HEARTBEAT_PORT = 539;

const schema = z
  .object({
    backup: host,
    backup_private: optionalHost,
    keepalive: seconds(1),
    deadtime: seconds(1),
    heartbeat_port: optionalPort,
    monitor_links: checkbox,
    syncdaemon: checkbox,
    syncd_iface: optionalDevice,
    syncd_id: syncdId,
  })
  .superRefine((v, ctx) => {
    if (v.keepalive !== '' && v.deadtime !== '' && Number(v.deadtime) <= Number(v.keepalive)) {
      ctx.addIssue({ code: 'custom', path: ['deadtime'], message: 'Must be longer than the heartbeat interval, or every pause looks like a failure.' });
    }
    if (v.syncdaemon === '1' && v.syncd_iface === '') {
      ctx.addIssue({ code: 'custom', path: ['syncd_iface'], message: 'Required when the sync daemon is used, e.g. eth0.' });
    }
  });

export const redundancyForm = panelForm<LvsConfig>(schema, {
  initial(m) {
    return {
      backup: m.backup ?? '',
      backup_private: m.backup_private ?? '',
      keepalive: String(m.keepalive),
      deadtime: String(m.deadtime),
      heartbeat_port: String(m.heartbeat_port),
      monitor_links: m.monitor_links ? '1' : '0',
      syncdaemon: m.syncdaemon ? '1' : '0',
      syncd_iface: m.syncd_iface,
      syncd_id: String(m.syncd_id),
    };
  },
  edits(v: Values, init: Values, m: LvsConfig) {
    const out: Edit[] = [];
    if (changed(v, init, 'backup')) out.push(set('backup', v.backup));
    // The private backup address is only offered when the primary has one (manual ch.4 §5).
    if (m.primary_private && changed(v, init, 'backup_private')) out.push(set('backup_private', v.backup_private || null));
    if (changed(v, init, 'keepalive')) out.push(set('keepalive', Number(v.keepalive)));
    if (changed(v, init, 'deadtime')) out.push(set('deadtime', Number(v.deadtime)));
    if (changed(v, init, 'heartbeat_port')) out.push(set('heartbeat_port', v.heartbeat_port === '' ? DEFAULT_HEARTBEAT_PORT : Number(v.heartbeat_port)));
    if (changed(v, init, 'monitor_links')) out.push(set('monitor_links', Number(v.monitor_links)));
    if (changed(v, init, 'syncdaemon')) out.push(set('syncdaemon', v.syncdaemon === '1'));
    if (changed(v, init, 'syncd_iface') && v.syncd_iface !== '') out.push(set('syncd_iface', v.syncd_iface));
    if (changed(v, init, 'syncd_id')) out.push(set('syncd_id', Number(v.syncd_id)));
    // The original always wrote heartbeat = 1 from this panel; no daemon reads it, but files match.
    if (out.length > 0 && !m.heartbeat) out.push(set('heartbeat', true));
    return out;
  },
});

export function redundancyActionEdits(action: 'enable' | 'disable' | 'reset', m: LvsConfig): Edit[] {
  if (action === 'enable') {
    const out: Edit[] = [set('backup_active', true)];
    if (!m.heartbeat) out.push(set('heartbeat', true));
    return m.backup_active ? [] : out;
  }
  if (action === 'disable') return m.backup_active ? [set('backup_active', false)] : [];
  // RESET: the original's values (backup 0.0.0.0, no private backup, 6 s / 18 s, port 539). A
  // backup at 0.0.0.0 cannot stay enabled (pulse would silently clear backup_active), so it is disabled.
  const out: Edit[] = [set('backup_active', false), set('backup', '0.0.0.0'), set('keepalive', 6), set('deadtime', 18), set('heartbeat_port', DEFAULT_HEARTBEAT_PORT)];
  if (m.backup_private !== null) out.push(set('backup_private', null));
  return out;
}
