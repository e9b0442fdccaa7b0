// What every console page shows of an open confirmation window: what was changed, by whom, the
// deadline as a time and as seconds left (piranha.js counts the seconds down when JavaScript is on).
import type { ConfirmKeeper } from './keeper.ts';
import type { Outcome } from './pending.ts';
import { describeSeconds } from './pending.ts';

export interface Banner {
  id: string;
  actions: string[];
  clients: string[];
  deadline: string;
  /** HH:MM:SS UTC */
  deadlineText: string;
  secondsLeft: number;
  leftText: string;
  restoreSerial: number;
}

export function confirmBanner(keeper: ConfirmKeeper): Banner | null {
  const p = keeper.pending;
  const left = keeper.msLeft();
  if (!p || left === null) return null;
  const secondsLeft = Math.ceil(left / 1000);
  return {
    id: p.id,
    actions: p.actions,
    clients: [...new Set(p.clients)],
    deadline: p.deadline,
    deadlineText: p.deadline.slice(11, 19) + ' UTC',
    secondsLeft,
    leftText: describeSeconds(secondsLeft),
    restoreSerial: p.restore.serial,
  };
}

/** The last window's end, for CONTROL/MONITORING. */
export function lastOutcome(keeper: ConfirmKeeper): (Outcome & { timeText: string }) | null {
  const o = keeper.outcome;
  return o ? { ...o, timeText: o.time.replace('T', ' ').slice(0, 19) + ' UTC' } : null;
}
