// Whether the agent runs as one router of a pair (redundancy on) or standalone, decided once at
// startup from lvs.cf, this machine's addresses and `--node`. A pair needs `service = lvs`, a
// `primary` address, and either a partner (`backup_active = 1` with a `backup` address) or an
// explicit `--node` (a lone primary then behaves as pulse did: it activates `deadtime` after start).
// A machine that is neither router of the file runs standalone and says so, so that a console
// trial (`npm start`) with a primary address that belongs to another machine stays usable.
import type { LvsConfig } from '../../lvs-cf/model.ts';
import type { HaNode } from './heartbeat-packet.ts';

export type RedundancyMode =
  | { kind: 'standalone'; note: string | null }
  | { kind: 'pair'; node: HaNode }
  | { kind: 'error'; message: string };

const unset = (a: string | null): boolean => a === null || a === '' || a === '0.0.0.0';

export function decideRedundancy(config: LvsConfig | null, cliNode: HaNode | undefined, local: Map<string, string>): RedundancyMode {
  const pairConfigured = config !== null && config.service === 'lvs' && !unset(config.primary);
  if (!pairConfigured) {
    if (cliNode === undefined) return { kind: 'standalone', note: null };
    const why = config === null ? 'there is no lvs.cf' : config.service !== 'lvs' ? `lvs.cf has service = ${config.service}, not lvs` : 'lvs.cf sets no primary address';
    return { kind: 'error', message: `--node ${cliNode} was given but ${why}: redundancy needs service = lvs and the primary (and backup) addresses` };
  }
  if (cliNode !== undefined) return { kind: 'pair', node: cliNode };
  const node: HaNode | null = local.has(config.primary!) ? 'primary' : !unset(config.backup) && local.has(config.backup!) ? 'backup' : null;
  if (node === null) {
    return {
      kind: 'standalone',
      note: `this machine is neither the primary (${config.primary}) nor the backup (${unset(config.backup) ? 'unset' : config.backup}): running standalone`,
    };
  }
  // Without a partner there is nothing to fail over to: serve at once, as a single director.
  if (!config.backup_active || unset(config.backup)) return { kind: 'standalone', note: null };
  return { kind: 'pair', node };
}
