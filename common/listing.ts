// Finding rows in long lists, one way for the console and the agent: a case-insensitive text
// search, addresses in numeric order, and a page of a list with the total it was cut from. Used
// for VIRTUAL SERVERS and the one-host page (server/) and for `table` and `checkers` (agent/).
import { parseIPv4 } from './ipv4.ts';

/** Tests texts for `needle`, case-insensitively, without copying them; an empty needle matches everything. */
export function textMatcher(needle: string): (text: string | null | undefined) => boolean {
  const trimmed = needle.trim();
  if (trimmed === '') return () => true;
  const re = new RegExp(trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  return (text) => text != null && re.test(text);
}

/**
 * Orders addresses as numbers (10.0.0.9 before 10.0.0.10); host names after every dotted quad, in
 * text order.
 */
export function compareAddresses(a: string, b: string): number {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  if (x !== null && y !== null) return x - y;
  if (x !== null) return -1;
  if (y !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Paged<T> {
  items: T[];
  /** Items in the whole list. */
  total: number;
  /** Where this page starts (clamped to the list). */
  offset: number;
}

/** Items [offset, offset + limit) of `items`; every item from `offset` when limit is undefined. */
export function pageOf<T>(items: readonly T[], offset: number, limit: number | undefined): Paged<T> {
  const start = Math.min(Math.max(0, Math.floor(offset)), items.length);
  const end = limit === undefined ? items.length : Math.min(items.length, start + Math.max(0, Math.floor(limit)));
  return { items: items.slice(start, end), total: items.length, offset: start };
}

/**
 * The first `n` texts joined, and "and K more" for the rest: one log line stays one readable line
 * however many rows a change touches (a drift over 10,000 services, a check shared by thousands).
 */
export function fewOf(texts: readonly string[], n: number, separator = ', '): string {
  const named = texts.slice(0, n).join(separator);
  return texts.length > n ? `${named} and ${texts.length - n} more` : named;
}
