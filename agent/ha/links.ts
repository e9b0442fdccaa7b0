// monitor_links: is the interface carrying our heartbeat address up? pulse polled the link state
// and stopped heartbeats and activation while a link was down. Linux exposes it in sysfs; the
// reader is injectable so the logic is testable without touching interfaces.
import { readFile } from 'node:fs/promises';

export type LinkReader = (dev: string) => Promise<string>;

export const sysfsLinkReader: LinkReader = async (dev) => {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(dev)) throw new Error(`bad interface name ${dev}`);
  return (await readFile(`/sys/class/net/${dev}/operstate`, 'utf8')).trim();
};

/**
 * `up` and `unknown` (what loopback and some drivers report while working) count as up;
 * `down`, `lowerlayerdown`, `notpresent`, `dormant` as down. An interface that vanished is down.
 */
export async function linkUp(dev: string, read: LinkReader = sysfsLinkReader): Promise<{ up: boolean; detail: string }> {
  try {
    const state = await read(dev);
    return { up: state === 'up' || state === 'unknown', detail: `${dev} operstate ${state}` };
  } catch (err) {
    return { up: false, detail: `${dev}: ${(err as Error).message}` };
  }
}
