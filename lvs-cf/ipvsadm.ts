// What a configuration means for IPVS, as ipvsadm-restore lines (lvs-cf-format.md §4.4): one
// service per active virtual server and one destination per active real server, at its
// configured weight (the agent's checkers decide at run time which of them are healthy).
import type { LvsConfig, VirtualServer } from './model.ts';

export function forwardFlag(network: LvsConfig['network']): '-m' | '-g' | '-i' {
  return network === 'nat' ? '-m' : network === 'direct' ? '-g' : '-i';
}

export function serviceAddress(vs: VirtualServer): string {
  if (vs.fwmark) return `-f ${vs.fwmark}`;
  return `${vs.protocol === 'udp' ? '-u' : '-t'} ${vs.address}:${vs.port}`;
}

export function toIpvsadm(model: LvsConfig): string[] {
  const lines: string[] = [];
  const done = new Set<string>();
  const method = forwardFlag(model.network);
  for (const vs of model.virtuals) {
    if (!vs.active || (!vs.fwmark && !vs.address)) continue;
    const svc = serviceAddress(vs);
    // Virtual servers sharing a firewall mark are one IPVS service (manual §6.1).
    if (!done.has(svc)) {
      let line = `-A ${svc} -s ${vs.scheduler}`;
      if (vs.persistent > 0) {
        line += ` -p ${vs.persistent}`;
        if (vs.pmask) line += ` -M ${vs.pmask}`;
      }
      lines.push(line);
      done.add(svc);
    }
    for (const rs of vs.servers) {
      const dest = `${svc} -r ${rs.address}:${rs.port}`;
      if (!rs.active || done.has(dest)) continue;
      lines.push(`-a ${dest} ${method} -w ${rs.weight}`);
      done.add(dest);
    }
  }
  return lines;
}
