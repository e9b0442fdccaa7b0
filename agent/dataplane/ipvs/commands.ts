// Dataplane operations as ipvsadm command lines, in the form `ipvsadm -R` reads (one command per
// line, without the program name), the same lines lvsd and nanny ran one process at a time:
//   -A/-E -t|-u VIP:PORT | -f MARK  -s SCHED [-p TIMEOUT [-M PMASK]]
//   -D    -t|-u VIP:PORT | -f MARK
//   -a/-e -t|-u VIP:PORT | -f MARK  -r RIP[:RPORT] -m|-g|-i -w WEIGHT
//   -d    -t|-u VIP:PORT | -f MARK  -r RIP[:RPORT]
// Values were validated by op-schema (no spaces, quotes or newlines can reach a line).
import type { DataplaneOp, ServiceKey, ServiceSpec } from '../types.ts';

/** `tcp|VIP|PORT` -> `-t VIP:PORT`, `udp|…` -> `-u …`, `fwm|MARK` -> `-f MARK`. */
export function serviceArgs(key: ServiceKey): string {
  const [kind, a, b] = key.split('|');
  if (kind === 'fwm') return `-f ${a}`;
  return `${kind === 'udp' ? '-u' : '-t'} ${a}:${b}`;
}

function schedulingArgs(s: ServiceSpec): string {
  let args = `-s ${s.scheduler}`;
  if (s.persistent > 0) {
    args += ` -p ${s.persistent}`;
    // lvsd passed -M only with persistence and a mask other than 255.255.255.255 (quirk Q8).
    if (s.pmask !== null && s.pmask !== '255.255.255.255' && s.pmask !== '0.0.0.0') args += ` -M ${s.pmask}`;
  }
  return args;
}

/** A real server as ipvsadm names it; port 0 (possible with firewall marks) means "the client's port". */
function realArg(address: string, port: number): string {
  return port === 0 ? address : `${address}:${port}`;
}

export function opToLine(op: DataplaneOp): string {
  switch (op.op) {
    case 'addService':
      return `-A ${serviceArgs(op.service.key)} ${schedulingArgs(op.service)}`;
    case 'editService':
      // -E sets every scheduling attribute; omitting -p turns persistence off.
      return `-E ${serviceArgs(op.service.key)} ${schedulingArgs(op.service)}`;
    case 'deleteService':
      return `-D ${serviceArgs(op.key)}`;
    case 'addReal':
      return `-a ${serviceArgs(op.key)} -r ${realArg(op.real.address, op.real.port)} -${op.real.method} -w ${op.real.weight}`;
    case 'editReal':
      return `-e ${serviceArgs(op.key)} -r ${realArg(op.real.address, op.real.port)} -${op.real.method} -w ${op.real.weight}`;
    case 'deleteReal':
      return `-d ${serviceArgs(op.key)} -r ${realArg(op.address, op.port)}`;
  }
}
