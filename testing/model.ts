// lvs.cf models built directly in code (the defaults lvs-cf/model.ts documents), for tests of the
// agent's pure parts (plan, director, listing) that need no file: rs(), vs() and cfg() build a real
// server, a virtual server and a whole configuration, each overridable field by field; checkSpec() a
// health check for the checkers' tests.
import type { CheckSpec } from '../agent/checkers/check.ts';
import type { LvsConfig, RealServer, VirtualServer } from '../lvs-cf/model.ts';

export function rs(name: string, address: string, port: number, weight = 1, extra: Partial<RealServer> = {}): RealServer {
  return { name, address, port, weight, active: true, line: 0, ...extra };
}

export function vs(name: string, address: string, port: number, servers: RealServer[], extra: Partial<VirtualServer> = {}): VirtualServer {
  return {
    kind: 'virtual', name, active: true, address, device: 'eth0:1', vip_nmask: null, sorry_server: null, fwmark: 0,
    protocol: 'tcp', port, scheduler: 'wlc', persistent: 0, pmask: null, send: null, expect: null, use_regex: false,
    send_program: null, load_monitor: null, timeout: 6, reentry: 15, quiesce_server: false, client_monitor: null,
    start_cmd: null, stop_cmd: null, servers, line: 0, ...extra,
  };
}

export function cfg(virtuals: VirtualServer[], extra: Partial<LvsConfig> = {}): LvsConfig {
  return {
    serial_no: 1, primary: '10.0.0.1', primary_private: null, primary_shared: null, backup: null, backup_private: null,
    backup_shared: null, backup_active: false, heartbeat: true, heartbeat_port: 539, keepalive: 6, deadtime: 18,
    rsh_command: 'rsh', network: 'nat', nat_router: null, nat_nmask: null, service: 'lvs', reservation_conflict_action: null,
    debug_level: 'NONE', monitor_links: 0, syncdaemon: false, syncd_iface: 'eth0', syncd_id: 0, tcp_timeout: 0,
    tcpfin_timeout: 0, udp_timeout: 0, hard_shutdown: true, active_cmd: null, inactive_cmd: null, ipvsadm: '/sbin/ipvsadm',
    sync: false, virtuals, failovers: [], ...extra,
  };
}

/** A TCP health check of `key` built in code, for the checkers' tests; every field overridable. */
export function checkSpec(key: string, address: string, over: Partial<CheckSpec> = {}): CheckSpec {
  return { key, address, port: 80, virtualPort: 8080, protocol: 'tcp', send: null, expect: null, useRegex: false, sendProgram: null, timeoutSec: 1, ...over };
}
