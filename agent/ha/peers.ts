// Which router this is and where its partner listens, from lvs.cf and this machine's addresses,
// the way pulse's amMaster() did it: one of our addresses equals `primary` → primary, equals
// `backup` → backup. `--node` overrides (tests, or a router reached through NAT).
import { networkInterfaces } from 'node:os';
import type { LvsConfig } from '../../lvs-cf/model.ts';
import type { HaNode } from './heartbeat-packet.ts';

export interface Channel {
  name: 'public' | 'private';
  local: string;
  partner: string;
}

export interface Peers {
  node: HaNode;
  /** One channel for the public addresses, a second when the private addresses differ (as pulse). */
  channels: Channel[];
  /** Every address a genuine heartbeat or sync connection may come from. */
  partnerAddresses: string[];
}

/** IPv4 addresses of this machine (this network namespace) → interface name. */
export function localAddresses(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.set(a.address, name);
  }
  return out;
}

const unset = (a: string | null): a is null => a === null || a === '' || a === '0.0.0.0';

export function detectNode(config: LvsConfig, local: Map<string, string>): HaNode {
  if (!unset(config.primary) && local.has(config.primary!)) return 'primary';
  if (!unset(config.backup) && local.has(config.backup!)) return 'backup';
  throw new Error(
    `this machine has neither the primary address (${config.primary ?? 'unset'}) nor the backup address (${config.backup ?? 'unset'}) of lvs.cf; ` +
      'give --node primary|backup to choose',
  );
}

export function resolvePeers(config: LvsConfig, node: HaNode): Peers {
  const mine = node === 'primary' ? [config.primary, config.primary_private] : [config.backup, config.backup_private];
  const theirs = node === 'primary' ? [config.backup, config.backup_private] : [config.primary, config.primary_private];
  const [myPublic, myPrivateRaw] = mine;
  const [theirPublic, theirPrivateRaw] = theirs;
  if (unset(myPublic)) throw new Error(`lvs.cf has no ${node} address`);
  const channels: Channel[] = [];
  // No partner (backup_active = 0 or backup unset): no channel; the role machine runs alone.
  if (config.backup_active && !unset(theirPublic)) {
    channels.push({ name: 'public', local: myPublic!, partner: theirPublic! });
    // The daemons copy the public address when a private one is absent (lvsconfig.c).
    const myPrivate = unset(myPrivateRaw) ? myPublic! : myPrivateRaw;
    const theirPrivate = unset(theirPrivateRaw) ? theirPublic! : theirPrivateRaw;
    if (myPrivate !== myPublic && theirPrivate !== theirPublic) channels.push({ name: 'private', local: myPrivate, partner: theirPrivate });
  }
  return { node, channels, partnerAddresses: channels.map((c) => c.partner) };
}
