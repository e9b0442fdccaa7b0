// Refuses heartbeats seen before. Within one boot of the sender the sequence number must grow.
// A new boot id starts a new window, but only with a timestamp later than the last one accepted
// from the previous boot: otherwise an attacker could replay a packet captured before the partner
// restarted, reset the window, and then replay the rest of that old boot at will. Both timestamps
// come from the sender's own clock, so the two routers' clocks need not agree.
import type { Heartbeat } from './heartbeat-packet.ts';

export type ReplayVerdict = { ok: true; newBoot: boolean } | { ok: false; detail: string };

export class ReplayGuard {
  private bootId: string | null = null;
  private lastSeq = 0n;
  private lastTimeMs = 0;

  check(hb: Heartbeat): ReplayVerdict {
    if (this.bootId === hb.bootId) {
      if (hb.seq <= this.lastSeq) return { ok: false, detail: `sequence ${hb.seq} ≤ last seen ${this.lastSeq}` };
      this.lastSeq = hb.seq;
      this.lastTimeMs = Math.max(this.lastTimeMs, hb.timeMs);
      return { ok: true, newBoot: false };
    }
    if (this.bootId !== null && hb.timeMs <= this.lastTimeMs) {
      return { ok: false, detail: `boot ${hb.bootId} is older than the current boot ${this.bootId}` };
    }
    const newBoot = this.bootId !== null;
    this.bootId = hb.bootId;
    this.lastSeq = hb.seq;
    this.lastTimeMs = hb.timeMs;
    return { ok: true, newBoot };
  }
}
