// What VIRTUAL SERVERS shows of a large lvs.cf: the virtual servers matching a search (name,
// virtual IP, port, a real server's name or address), in the asked order, one page at a time. The
// query lives in the URL (`?q=&sort=&page=&per=`), so a view is a link and works without
// JavaScript; a value that is not one of the choices falls back to the default rather than fail.
import { z } from 'zod';
import type { LvsConfig, VirtualServer } from '../lvs-cf/index.ts';
import { compareAddresses, compareText, pageOf, textMatcher } from '../common/listing.ts';

export const VIRTUAL_SORTS = ['file', 'name', 'vip', 'port', 'status'] as const;
export const PAGE_SIZES = [25, 50, 100, 500] as const;
export const DEFAULT_PAGE_SIZE = 100;

const querySchema = z.object({
  q: z.string().max(200).catch(''),
  sort: z.enum(VIRTUAL_SORTS).catch('file'),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
  per: z.coerce
    .number()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
    .catch(DEFAULT_PAGE_SIZE),
});
export type ListQuery = z.infer<typeof querySchema>;

/** The list query of a request's query string; every field has a default. */
export function listQuery(query: unknown): ListQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  return querySchema.parse({ q: first(q.q) ?? '', sort: first(q.sort), page: first(q.page), per: first(q.per) });
}

/** The query string of a view (defaults left out), for links and redirects. */
export function queryString(q: ListQuery, changes: Partial<ListQuery> = {}): string {
  const v = { ...q, ...changes };
  const params = new URLSearchParams();
  if (v.q.trim() !== '') params.set('q', v.q.trim());
  if (v.sort !== 'file') params.set('sort', v.sort);
  if (v.per !== DEFAULT_PAGE_SIZE) params.set('per', String(v.per));
  if (v.page !== 1) params.set('page', String(v.page));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

export interface VirtualRow {
  index: number;
  name: string;
  active: boolean;
  vip: string;
  netmask: string;
  port: string;
  protocol: string;
  device: string;
  /** The real servers the search matched by name or address ("rs3 10.0.0.4"), when it matched through them. */
  via: string[];
}

export interface VirtualPage {
  rows: VirtualRow[];
  /** Virtual servers matching the search, over every page. */
  total: number;
  /** Virtual servers in the file. */
  all: number;
  page: number;
  pages: number;
  /** 1-based positions of the first and last row shown (0 when none). */
  from: number;
  to: number;
}

function rowOf(v: VirtualServer, index: number, via: string[]): VirtualRow {
  return {
    index,
    name: v.name,
    active: v.active,
    vip: v.address ?? '',
    netmask: v.vip_nmask ?? 'Unused',
    port: v.fwmark ? `${v.port} (fwmark ${v.fwmark})` : String(v.port),
    protocol: v.protocol,
    device: v.device ?? '',
    via,
  };
}

/** The matching virtual servers (by index), with the real servers through which each matched. */
function matching(model: LvsConfig, search: string): { index: number; via: string[] }[] {
  const all = model.virtuals.map((_, index) => ({ index, via: [] as string[] }));
  if (search.trim() === '') return all;
  const hit = textMatcher(search);
  const out: { index: number; via: string[] }[] = [];
  model.virtuals.forEach((v, index) => {
    const own = hit(v.name) || hit(v.address) || hit(String(v.port)) || (v.address !== null && hit(`${v.address}:${v.port}`));
    const via = v.servers.filter((s) => hit(s.name) || hit(s.address)).map((s) => `${s.name} ${s.address}`);
    if (own || via.length > 0) out.push({ index, via: own ? [] : via });
  });
  return out;
}

function compare(model: LvsConfig, sort: ListQuery['sort']): (a: { index: number }, b: { index: number }) => number {
  const v = model.virtuals;
  switch (sort) {
    case 'file':
      return (a, b) => a.index - b.index;
    case 'name':
      return (a, b) => compareText(v[a.index]!.name, v[b.index]!.name) || a.index - b.index;
    case 'vip':
      return (a, b) => compareAddresses(v[a.index]!.address ?? '', v[b.index]!.address ?? '') || v[a.index]!.port - v[b.index]!.port || a.index - b.index;
    case 'port':
      return (a, b) => v[a.index]!.port - v[b.index]!.port || a.index - b.index;
    case 'status':
      // The inactive ones first: what is off is what one looks for.
      return (a, b) => Number(v[a.index]!.active) - Number(v[b.index]!.active) || a.index - b.index;
  }
}

/**
 * One page of VIRTUAL SERVERS. With `selected` (a row just acted on) and no page asked for, the
 * page is the one that holds it.
 */
export function virtualPage(model: LvsConfig, q: ListQuery, selected: number | null = null, pageAsked = true): VirtualPage {
  const found = matching(model, q.q);
  if (q.sort !== 'file') found.sort(compare(model, q.sort));
  const pages = Math.max(1, Math.ceil(found.length / q.per));
  let page = Math.min(q.page, pages);
  if (!pageAsked && selected !== null) {
    const at = found.findIndex((f) => f.index === selected);
    if (at >= 0) page = Math.floor(at / q.per) + 1;
  }
  const slice = pageOf(found, (page - 1) * q.per, q.per);
  const rows = slice.items.map((f) => rowOf(model.virtuals[f.index]!, f.index, f.via));
  return { rows, total: found.length, all: model.virtuals.length, page, pages, from: rows.length ? slice.offset + 1 : 0, to: slice.offset + rows.length };
}
