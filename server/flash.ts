// One-time messages carried across the POST → 303 → GET redirect (PRG) without cookies or sessions:
// the POST stores the message under a random id and redirects to `?flash=ID`; the next GET takes it.
// Bounded in size and time so a client cannot grow it without limit.
// A message may still be completing when the 303 is sent (a save answers right after its rename, and
// the agent's answer to the reload it asked for is added when it comes, `later`): the GET that takes
// it waits for that first (`settled`), so the page after a save shows what the agent said.
import { randomBytes } from 'node:crypto';
import type { CheckNowResult } from '../agent/protocol/index.ts';

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  messages: string[];
  transcript?: CheckNowResult;
}

const MAX_ENTRIES = 1000;
const TTL_MS = 5 * 60 * 1000;

export class FlashStore {
  private readonly entries = new Map<string, { flash: Flash; expires: number; later: Promise<void> | null }>();

  put(flash: Flash, later: Promise<void> | null = null): string {
    const now = Date.now();
    for (const [id, e] of this.entries) {
      if (e.expires < now || this.entries.size >= MAX_ENTRIES) this.entries.delete(id);
      else break;
    }
    const id = randomBytes(12).toString('base64url');
    // `later` adds to `flash` itself; it never rejects (a failure there is a message too).
    this.entries.set(id, { flash, expires: now + TTL_MS, later });
    return id;
  }

  take(id: unknown): Flash | null {
    if (typeof id !== 'string') return null;
    const e = this.entries.get(id);
    if (!e) return null;
    this.entries.delete(id);
    return e.expires >= Date.now() ? e.flash : null;
  }

  /** Resolves once the message under `id` is complete (at once for an unknown id). */
  async settled(id: unknown): Promise<void> {
    if (typeof id !== 'string') return;
    const later = this.entries.get(id)?.later;
    if (later) await later;
  }

  /** `url` with `flash=ID` appended; `later` completes the message (see put). */
  redirectUrl(url: string, flash: Flash, later: Promise<void> | null = null): string {
    return `${url}${url.includes('?') ? '&' : '?'}flash=${this.put(flash, later)}`;
  }
}
