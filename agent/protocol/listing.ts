// What `table` and `checkers` take to filter, sort and page their rows, and the summary and page
// they answer with, so that a console shows one screen of a 200,000-real-server table without
// moving megabytes. Without parameters both answer every row, as protocol 1 always did, up to
// MAX_LIST_REPLY_BYTES: a reply never exceeds it, and `page.truncated` says rows were left out.
import { z } from 'zod';

const count = z.number().int().min(0);

/** Most rows one page may ask for. */
export const MAX_PAGE_LIMIT = 1000;
/**
 * Most bytes of rows in one `table` or `checkers` reply. Four such replies fit in the 8 MB a
 * connection may have pending, so the console's concurrent calls are never cut off.
 */
export const MAX_LIST_REPLY_BYTES = 2 * 1024 * 1024;

export const TABLE_SORTS = ['file', 'name', 'address', 'problem'] as const;
export const CHECKER_SORTS = ['file', 'name', 'address', 'state'] as const;
export const SERVICE_STATES = ['problem', 'ok'] as const;

const listing = {
  /**
   * Case-insensitive text looked for in the virtual server's name, its VIP and VIP:PORT, and the
   * names and addresses of its real servers (`checkers`: of that real server).
   */
  search: z.string().max(200).optional(),
  /** Exactly this virtual server (by name). */
  virtual: z.string().min(1).max(200).optional(),
  /** Exactly this address: the VIP, or a real server's address. */
  address: z.string().min(1).max(64).optional(),
  offset: count.optional(),
  /** Rows wanted; absent: every row (up to MAX_LIST_REPLY_BYTES). */
  limit: count.max(MAX_PAGE_LIMIT).optional(),
};

export const tableParamsSchema = z
  .object({
    ...listing,
    /** `problem`: services the dataplane cannot serve or that have a refused operation; `ok`: the others. */
    state: z.enum(SERVICE_STATES).optional(),
    /** `file` (default): lvs.cf's order; `name`; `address` (VIP, then port); `problem`: problems first. */
    sort: z.enum(TABLE_SORTS).optional(),
  })
  .strict();
export type TableParams = z.infer<typeof tableParamsSchema>;

export const checkersParamsSchema = z
  .object({
    ...listing,
    state: z.enum(['pending', 'up', 'down']).optional(),
    /** `file` (default); `name` (virtual, then real server); `address` (real server); `state`: down, pending, up. */
    sort: z.enum(CHECKER_SORTS).optional(),
  })
  .strict();
export type CheckersParams = z.infer<typeof checkersParamsSchema>;

/** Where the rows of a reply sit among all those matching. */
export const pageSchema = z.object({
  offset: count,
  /** Rows matching the filters, over every page. */
  total: count,
  /** true when rows that would have been on this page were left out to keep the reply under MAX_LIST_REPLY_BYTES. */
  truncated: z.boolean(),
});
export type Page = z.infer<typeof pageSchema>;

/** The whole table and every check, counted (whatever the filters). */
export const listSummarySchema = z.object({
  services: z.object({ total: count, problem: count }),
  reals: z.object({
    /** Real servers checked (one per real server of an active virtual server). */
    checked: count,
    up: count,
    down: count,
    pending: count,
    /** Real servers in the dataplane's table (weight 0 included). */
    inTable: count,
  }),
});
export type ListSummary = z.infer<typeof listSummarySchema>;
