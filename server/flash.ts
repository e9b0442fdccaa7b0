// One-time messages carried across the POST → 303 → GET redirect (PRG) without cookies or sessions:
// the POST stores the message under a random id and redirects to `?flash=ID`; the next GET takes it.
// Bounded in size and time so a client cannot grow it without limit.
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
  private readonly entries = new Map<string, { flash: Flash; expires: number }>();

  put(flash: Flash): string {
    const now = Date.now();
    for (const [id, e] of this.entries) {
      if (e.expires < now || this.entries.size >= MAX_ENTRIES) this.entries.delete(id);
      else break;
    }
    const id = randomBytes(12).toString('base64url');
    this.entries.set(id, { flash, expires: now + TTL_MS });
    return id;
  }

  take(id: unknown): Flash | null {
    if (typeof id !== 'string') return null;
    const e = this.entries.get(id);
    if (!e) return null;
    this.entries.delete(id);
    return e.expires >= Date.now() ? e.flash : null;
  }

  /** `url` with `flash=ID` appended. */
  redirectUrl(url: string, flash: Flash): string {
    return `${url}${url.includes('?') ? '&' : '?'}flash=${this.put(flash)}`;
  }
}
