// Page sizes and cursors of the connections. Out-of-range values are the caller's mistake
// (BAD_USER_INPUT), refused before anything is read; the cost rule prices a page by its size.
import { MAX_LOG_ID, parseLogId } from '../../logs/params.js';
import { badInput } from '../errors.js';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

/** A cursor or `after`: a log id within PostgreSQL bigint. */
export function cursorArg(name: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const id = parseLogId(value);
  if (id === undefined) throw badInput(`${name} must be a log id (a decimal string from 0 to ${MAX_LOG_ID}), got ${JSON.stringify(value.slice(0, 40))}`);
  return id;
}

export function pageSize(name: string, value: number | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value < 0 || value > MAX_PAGE) throw badInput(`${name} must be between 0 and ${MAX_PAGE}, got ${value}`);
  return value;
}

/** What a connection's arguments ask for: `last` reads the newest N (returned oldest first). */
export interface PageRequest {
  afterId?: string;
  beforeId?: string;
  limit: number;
  newest: boolean;
}

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export function pageRequest(a: PageArgs, cursor: typeof cursorArg = cursorArg): PageRequest {
  const first = pageSize('first', a.first);
  const last = pageSize('last', a.last);
  if (first !== undefined && last !== undefined) throw badInput('pass either first or last, not both');
  const newest = last !== undefined;
  return { afterId: cursor('after', a.after), beforeId: cursor('before', a.before), limit: (newest ? last : first) ?? DEFAULT_PAGE, newest };
}

/** A page of nodes (oldest first; `more`: another page lies beyond the limit) as edges and pageInfo. */
export function connection<T extends { id: string }>(nodes: readonly T[], more: boolean, p: PageRequest) {
  return {
    edges: nodes.map((node) => ({ cursor: node.id, node })),
    pageInfo: {
      hasNextPage: p.newest ? p.beforeId !== undefined : more,
      hasPreviousPage: p.newest ? more : p.afterId !== undefined,
      startCursor: nodes[0]?.id ?? null,
      endCursor: nodes[nodes.length - 1]?.id ?? null,
    },
  };
}
