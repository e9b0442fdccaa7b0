// Option lists for the drop-downs, in the original's order and with its labels.
import { SCHEDULERS, SCHEDULER_LABELS, NETWORKS } from '../../lvs-cf/index.ts';
import { NETMASKS } from '../forms/fields.ts';
import { NETWORK_LABELS } from '../forms/global.ts';

export const netmaskOptions = [{ value: '', label: 'Unused' }, ...NETMASKS.map((m) => ({ value: m, label: m }))];
export const schedulerOptions = (Object.keys(SCHEDULER_LABELS) as (typeof SCHEDULERS)[number][]).map((s) => ({ value: s, label: `${SCHEDULER_LABELS[s]} (${s})` }));
export const networkOptions = NETWORKS.map((n) => ({ value: n, label: NETWORK_LABELS[n] }));
export const loadMonitorOptions = [
  { value: 'none', label: 'none' },
  { value: 'rup', label: 'rup (rstatd on each real server)' },
  { value: 'ruptime', label: 'ruptime (rwhod on each real server)' },
  { value: 'uptime', label: 'uptime (through rsh/ssh)' },
];
