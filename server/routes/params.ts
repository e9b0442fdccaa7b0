// URL parameters and list selections, validated with zod; an index outside the file is a 404.
import { z } from 'zod';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import { HttpError } from '../http-error.ts';

const index = z.string().regex(/^\d{1,6}$/).transform(Number);

export function virtualIndex(params: unknown, model: LvsConfig): number {
  const n = index.safeParse((params as Record<string, unknown>)?.n);
  if (!n.success || n.data >= model.virtuals.length) throw new HttpError(404, 'There is no such virtual server (it may have been deleted).');
  return n.data;
}

export function serverIndex(params: unknown, model: LvsConfig, virtual: number): number {
  const m = index.safeParse((params as Record<string, unknown>)?.m);
  if (!m.success || m.data >= model.virtuals[virtual].servers.length) throw new HttpError(404, 'There is no such real server (it may have been deleted).');
  return m.data;
}

/** The row chosen with the radio buttons, or null when none was chosen. */
export function selectedRow(body: unknown, rows: number): number | null {
  const raw = (body as Record<string, unknown> | undefined)?.selected;
  const n = index.safeParse(raw);
  if (!n.success) return null;
  if (n.data >= rows) throw new HttpError(404, 'The selected row no longer exists. Reload the page.');
  return n.data;
}

export const LIST_ACTIONS = ['add', 'delete', 'edit', 'toggle', 'drain'] as const;
export type ListAction = (typeof LIST_ACTIONS)[number];

export function listAction(body: unknown): ListAction {
  const a = (body as Record<string, unknown> | undefined)?.action;
  if (!LIST_ACTIONS.includes(a as ListAction)) throw new HttpError(400, 'Unknown button: use ADD, DELETE, EDIT, (DE)ACTIVATE or DRAIN.');
  return a as ListAction;
}

/** A name not used yet among `taken`: base, base_2, base_3, … */
export function freshName(base: string, taken: string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}_${i}`)) return `${base}_${i}`;
}

export function nameNote(raw: string, saved: string, what: string): string[] {
  return raw.trim() !== saved ? [`The ${what} name "${raw.trim()}" was saved as "${saved}": lvs.cf names cannot contain spaces.`] : [];
}
