// Turns a failed listen/bind into the sentence the console shows beside the virtual server.
export function bindProblem(err: NodeJS.ErrnoException, protocol: string, address: string, port: number): string {
  switch (err.code) {
    case 'EADDRNOTAVAIL':
      return `VIP ${address} is not an address of this machine`;
    case 'EADDRINUSE':
      return `${protocol.toUpperCase()} ${address}:${port} is already in use by another program`;
    case 'EACCES':
    case 'EPERM':
      return `binding ${protocol.toUpperCase()} port ${port} needs root (or CAP_NET_BIND_SERVICE)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `VIP ${address} cannot be resolved`;
    default:
      return `cannot listen on ${protocol.toUpperCase()} ${address}:${port}: ${err.message}`;
  }
}

/** Whether trying again later can help (the VIP may be brought up by a failover). */
export function isRetryable(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EADDRNOTAVAIL' || err.code === 'EADDRINUSE';
}
