// GET /metrics: the router's facts (the same as /status.json) as Prometheus metric families. The
// agent's numbers are exported only while it answers: a stopped agent's counters would otherwise
// look current. piranha_agent_up says whether it answered, piranha_agent_last_read_timestamp_seconds
// when it last did.
import { ROLES, type RealStats } from '../../agent/protocol/index.ts';
import type { Family, Labels } from './exposition.ts';
import type { StatusJson } from './status-json.ts';

const seconds = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso) / 1000);

function gauge(name: string, help: string): Family {
  return { name, help, type: 'gauge', samples: [] };
}
function counter(name: string, help: string): Family {
  return { name, help, type: 'counter', samples: [] };
}

/** The counters a real server has in the agent's table (a virtual server's are their sums). */
type Counters = Pick<RealStats, 'activeConns' | 'inactiveConns' | 'connections' | 'packetsIn' | 'packetsOut' | 'bytesIn' | 'bytesOut'>;

/** The connection, packet and byte families of one level (virtual or real server). */
function trafficFamilies(level: 'virtual' | 'real', what: string) {
  // Named as node_exporter names the kernel's IPVS counters (node_ipvs_backend_connections_active…).
  const active = gauge(`piranha_${level}_connections_active`, `Established connections of each ${what} now`);
  const inactive = gauge(`piranha_${level}_connections_inactive`, `Other connections of each ${what} now (closing, or UDP)`);
  const total = counter(`piranha_${level}_connections_total`, `Connections ${what}s have been given since the service was added`);
  const packets = counter(`piranha_${level}_packets_total`, `Packets forwarded for each ${what}, by direction (in: from clients)`);
  const bytes = counter(`piranha_${level}_bytes_total`, `Bytes forwarded for each ${what}, by direction (in: from clients)`);
  const add = (labels: Labels, c: Counters) => {
    active.samples.push({ labels, value: c.activeConns });
    inactive.samples.push({ labels, value: c.inactiveConns });
    total.samples.push({ labels, value: c.connections });
    packets.samples.push({ labels: { ...labels, direction: 'in' }, value: c.packetsIn }, { labels: { ...labels, direction: 'out' }, value: c.packetsOut });
    bytes.samples.push({ labels: { ...labels, direction: 'in' }, value: c.bytesIn }, { labels: { ...labels, direction: 'out' }, value: c.bytesOut });
  };
  return { families: [active, inactive, total, packets, bytes], add };
}

export function metricFamilies(s: StatusJson): Family[] {
  const up = gauge('piranha_agent_up', 'Whether the agent answered this scrape (1) or not (0)');
  up.samples.push({ value: s.agent.answering ? 1 : 0 });
  const lastRead = gauge('piranha_agent_last_read_timestamp_seconds', 'When the agent last answered the console');
  const readAt = seconds(s.agent.readAt);
  if (readAt !== null) lastRead.samples.push({ value: readAt });
  const fileSerial = gauge('piranha_config_file_serial', 'serial_no of lvs.cf on disk');
  if (s.config.fileSerial !== null) fileSerial.samples.push({ value: s.config.fileSerial });
  const lastSave = gauge('piranha_config_last_save_timestamp_seconds', 'When lvs.cf was last written');
  const saved = seconds(s.config.lastSave);
  if (saved !== null) lastSave.samples.push({ value: saved });
  const families: Family[] = [up, lastRead, fileSerial, lastSave];
  const r = s.router;
  if (!s.agent.answering || r === null) return families;

  const running = gauge('piranha_lvs_running', 'Whether this router serves its virtual servers (1) or not (0)');
  running.samples.push({ value: r.running ? 1 : 0 });
  const role = gauge('piranha_role', 'This router\'s role: 1 for the current one (active, standby, or standalone without a partner)');
  for (const x of ROLES) role.samples.push({ labels: { role: x }, value: x === r.role ? 1 : 0 });
  const serial = gauge('piranha_config_serial', 'serial_no of the configuration the agent runs');
  if (r.serial !== null) serial.samples.push({ value: r.serial });
  const heartbeat = gauge('piranha_partner_last_heartbeat_timestamp_seconds', 'When the partner router\'s last heartbeat arrived');
  const partnerState = gauge('piranha_partner_state', 'The partner router\'s state as last heard: 1 for the current one');
  if (r.partner) {
    const hb = seconds(r.partner.lastHeartbeat);
    if (hb !== null) heartbeat.samples.push({ value: hb });
    partnerState.samples.push({ labels: { state: r.partner.state }, value: 1 });
  }
  const v = trafficFamilies('virtual', 'virtual server');
  const real = trafficFamilies('real', 'real server');
  const weight = gauge('piranha_real_weight', 'Weight of each real server in the dataplane now');
  const checkUp = gauge('piranha_real_check_up', 'Whether each real server\'s last health check passed (1) or not (0: down, or not checked yet)');
  const latency = gauge('piranha_real_check_latency_seconds', 'How long each real server\'s last health check took');
  for (const svc of r.services) {
    const labels = { virtual: svc.virtual, service: svc.service };
    v.add(labels, svc);
    for (const x of svc.reals) {
      const rl = { ...labels, real: `${x.address}:${x.port}`, server: x.server ?? '' };
      real.add(rl, x);
      weight.samples.push({ labels: rl, value: x.weight });
      if (x.check) {
        checkUp.samples.push({ labels: rl, value: x.check.state === 'up' ? 1 : 0 });
        if (x.check.lastLatencyMs !== null) latency.samples.push({ labels: rl, value: x.check.lastLatencyMs / 1000 });
      }
    }
  }
  return [...families, running, role, serial, heartbeat, partnerState, ...v.families, ...real.families, weight, checkUp, latency];
}
