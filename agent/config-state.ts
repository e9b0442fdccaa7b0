// The configuration the agent holds. lvs.cf is read in one place (read(): file → validated model →
// the director's plan of it), and what is read is only a proposal until adopt() makes it the
// configuration in use. An invalid file is never adopted, so the configuration in use is always the
// last good one; the refusal is kept (lastReloadError) until a good file is adopted.
//
// A proposal can be evaluated without being adopted (the reconciler's plan against the live table
// is pure), which is what a dry-run of a new lvs.cf needs. A proposal is planned against the
// configuration in use, reusing what did not change and naming the services that did.
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { BlockSpan, LvsConfig } from '../lvs-cf/index.ts';
import type { IncrementalDoc } from '../lvs-cf/incremental.ts';
import { loadConfig, type LoadedConfig } from './config.ts';
import { checkSpecFor, EMPTY_PLAN, plan, realKey, serviceKeyOf, type Plan, type PoolSpec } from './service-plan.ts';
import type { ServiceKey } from './dataplane/types.ts';
import { ConfigInvalidError, NotFoundError } from './errors.ts';

/** One lvs.cf as the agent uses it: the model, its text and the director's plan of it. */
export interface Configuration {
  /** null when there is no lvs.cf: the agent then runs with an empty configuration. */
  model: LvsConfig | null;
  /** The text the model came from: what a configuration sync sends to the partner. */
  text: string | null;
  plan: Plan;
  /**
   * The services whose plan differs from the plan this configuration was proposed against
   * (`base`), or 'all'. Adopted in place of `base`, only these need a new look.
   */
  changed: ReadonlySet<ServiceKey> | 'all';
  base: Plan | null;
  /** Why there is no model (no lvs.cf yet), shown in status.problems; null when there is one. */
  note: string | null;
  /** The library's warnings about the file, logged when it is adopted. */
  warnings: string[];
  /** Where each virtual/failover block lies in `text` (a plan maps a change's hunks to them). */
  blocks: readonly BlockSpan[];
  /** The parsed text the next version of the file is read against (lvs-cf/reparse.ts); null: parse it whole. */
  doc: IncrementalDoc | null;
}

export type Proposal = { ok: true; config: Configuration } | { ok: false; message: string };

/** The configuration before any file was read: nothing served, nothing to say. */
export const NO_CONFIGURATION: Configuration = { model: null, text: null, plan: EMPTY_PLAN, changed: 'all', base: null, note: null, warnings: [], blocks: [], doc: null };

/** What a read of lvs.cf proposes (pure); `current` is the configuration it would replace. */
export function proposalOf(loaded: LoadedConfig, path: string, current: Configuration | null = null): Proposal {
  if (loaded.kind === 'invalid') return { ok: false, message: loaded.message };
  if (loaded.kind === 'same') {
    // The text in use, read again (a reload with nothing changed): the configuration in use, nothing to look at.
    if (!current?.model) throw new Error('the file was read as the text in use, but none is in use');
    return { ok: true, config: { ...current, base: current.plan, changed: new Set() } };
  }
  if (loaded.kind === 'missing') {
    const note = `no configuration at ${path}; running with an empty one until it is created and reloaded`;
    return { ok: true, config: { ...NO_CONFIGURATION, note } };
  }
  const base = current?.model ? current.plan : null;
  const planned = plan(loaded.model, base);
  return {
    ok: true,
    config: { model: loaded.model, text: loaded.text, plan: planned.plan, changed: planned.changed, base, note: null, warnings: loaded.warnings, blocks: loaded.blocks, doc: loaded.doc },
  };
}

const versions = new WeakMap<Configuration, string>();

/**
 * The sha256 (hex) of a configuration's text, the version the console names lvs.cf by; the empty
 * text's for none. Computed on first use and kept, as a plan asks for it and a reload need not.
 */
export function versionOf(config: Configuration): string {
  let v = versions.get(config);
  if (v === undefined) {
    v = createHash('sha256').update(config.text ?? '').digest('hex');
    versions.set(config, v);
  }
  return v;
}

/**
 * The check of real server `server` of virtual server `virtual` in `config`: the planned one when
 * it is checked, else one made for it (an inactive server can still be checked by hand).
 */
export function findCheckTarget(config: Configuration, virtual: string, server: string): { key: string; spec: PoolSpec } {
  const model = config.model;
  if (!model) throw new NotFoundError(`no configuration is loaded, so there is no virtual server ${virtual}`);
  const v = model.virtuals.find((x) => x.name === virtual);
  if (!v) throw new NotFoundError(`no virtual server named ${virtual}`);
  const s = v.servers.find((x) => x.name === server);
  if (!s) throw new NotFoundError(`virtual server ${virtual} has no real server named ${server}`);
  if (v.address === null) throw new NotFoundError(`virtual server ${virtual} has no address`);
  const service = config.plan.byKey.get(serviceKeyOf(v));
  const target = service?.virtual.name === virtual ? service.targets.find((t) => t.server === server) : undefined;
  const planned = target && config.plan.checks.get(target.check);
  if (planned) return { key: planned.spec.key, spec: planned.spec };
  const key = `${serviceKeyOf(v)}>${realKey(s.address, s.port)}`;
  return { key, spec: checkSpecFor(v, s, key) };
}

export class ConfigState {
  readonly path: string;
  private inUse: Configuration = NO_CONFIGURATION;
  private refusal: string | null = null;
  /** Characters of the file read last (what its parse left to collect). */
  lastReadLength = 0;

  constructor(
    root: string,
    private readonly log: (message: string) => void,
  ) {
    this.path = join(root, 'lvs.cf');
  }

  /** Reads and validates lvs.cf, planned against the configuration in use; changes nothing. */
  async read(): Promise<Proposal> {
    const loaded = await loadConfig(this.path, this.inUse);
    this.lastReadLength = loaded.kind === 'missing' || loaded.kind === 'same' ? 0 : loaded.length;
    return proposalOf(loaded, this.path, this.inUse);
  }

  /** The configuration in use (the last good one). */
  get current(): Configuration {
    return this.inUse;
  }

  /** The positioned message of the last refused file, null once a good one is adopted. */
  get lastReloadError(): string | null {
    return this.refusal;
  }

  /**
   * Makes a valid proposal the configuration in use, logging what the administrator should know.
   * Returns the services to look at again: those that changed, or 'all' when the proposal was not
   * planned against the configuration it replaces.
   */
  adopt(config: Configuration): ReadonlySet<ServiceKey> | 'all' {
    const changed = config.base !== null && config.base === this.inUse.plan ? config.changed : 'all';
    if (config.note !== null && config.note !== this.inUse.note) this.log(config.note);
    for (const w of config.warnings) this.log(w);
    for (const p of config.plan.problems) this.log(p.message);
    // The plan it was proposed against is no longer needed (and holds the previous model).
    this.inUse = { ...config, base: null, changed: 'all' };
    this.refusal = null;
    return changed;
  }

  /**
   * Reads lvs.cf and adopts it, returning the services to look at again (see adopt()); an invalid
   * file is recorded as refused (the configuration in use stays) and thrown as ConfigInvalidError.
   */
  async load(): Promise<ReadonlySet<ServiceKey> | 'all'> {
    const proposal = await this.read();
    if (!proposal.ok) {
      this.refuse(proposal.message);
      throw new ConfigInvalidError(proposal.message);
    }
    return this.adopt(proposal.config);
  }

  /** Records a refused file; the configuration in use stays. */
  refuse(message: string): void {
    this.refusal = message;
  }

  /** "serial N" or "empty (no lvs.cf)", for log lines. */
  describe(): string {
    return this.inUse.model ? `serial ${this.inUse.model.serial_no}` : 'empty (no lvs.cf)';
  }
}
