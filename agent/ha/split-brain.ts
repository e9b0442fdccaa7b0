// Split brain: the heartbeat path is cut both ways, each router hears nothing for deadtime and
// both hold the VIPs. Heartbeats cannot tell a dead partner from a cut-off one, but ARP can: an
// active router whose partner is silent asks, by duplicate address detection (arping -D, sender
// 0.0.0.0), whether any other machine answers for the addresses it holds. A reply means another
// router holds them too; its MAC is reported so that the administrator can tell which one.
import type { FloatingAddress } from './vip.ts';
import type { RunResult } from '../run-program.ts';

export interface SplitBrain {
  /** When this router first saw the duplicate (ISO time). */
  since: string;
  address: string;
  /** The MAC address of the other machine that answers for it. */
  mac: string;
}

/** `Unicast reply from 192.0.2.50 [AA:BB:CC:DD:EE:FF]  0.712ms` → the MAC, lower case. */
export function replyMac(stdout: string): string | null {
  return /reply from \S+ \[([0-9A-Fa-f:]{17})\]/.exec(stdout)?.[1]?.toLowerCase() ?? null;
}

/**
 * Asks once for each address whether another machine holds it. Resolves with the first one that
 * does, or null. A failing arping (no such device, no permission) counts as no answer: its failure
 * is already what the VIP problems report.
 */
export async function findDuplicate(
  run: (file: string, args: string[]) => Promise<RunResult>,
  arping: string,
  addrs: FloatingAddress[],
): Promise<{ address: string; mac: string } | null> {
  for (const a of addrs) {
    // -D: duplicate address detection (exit 1 when someone answered); one probe, one second at most.
    const r = await run(arping, ['-D', '-c', '1', '-w', '1', '-I', a.device, a.address]);
    const mac = r.code === 1 ? replyMac(r.stdout) : null;
    if (mac) return { address: a.address, mac };
  }
  return null;
}

/** The split-brain state of one router, from each probe's answer (pure: the caller passes the time). */
export class SplitBrainWatch {
  private current: SplitBrain | null = null;

  get state(): SplitBrain | null {
    return this.current;
  }

  /** A probe's answer (null: nobody else answered, or this router is not in a position to tell). Returns whether it changed. */
  update(found: { address: string; mac: string } | null, now: number): boolean {
    if (!found) {
      const was = this.current !== null;
      this.current = null;
      return was;
    }
    if (this.current && this.current.address === found.address && this.current.mac === found.mac) return false;
    this.current = { since: new Date(now).toISOString(), ...found };
    return true;
  }
}
