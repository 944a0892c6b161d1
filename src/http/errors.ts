// The one place an error becomes an HTTP status. Handlers throw what went wrong; the route
// table's dispatcher answers with the status below and logs only what is ours to fix (500).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConnectionException } from '@mikro-orm/core';
import { AuthError } from '../auth/tokens.js';
import { DatabaseUnavailable } from '../db/export-readers.js';
import type { Logger } from '../logger.js';

/** A refusal whose status the thrower knows: bad input (400), 404, 405, 411, 413… */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** AuthError → 401/403, HttpError → its status, the database unreachable → 503, anything else → 500. */
export function statusOf(err: unknown): number {
  if (err instanceof AuthError || err instanceof HttpError) return err.status;
  if (err instanceof DatabaseUnavailable || err instanceof ConnectionException) return 503;
  return 500;
}

/** How a surface words its errors: plain routes `{ error }`, GraphQL `{ errors: [{ message, extensions }] }`. */
export type ErrorShape = 'json' | 'graphql';

const GRAPHQL_CODES: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 413: 'PAYLOAD_TOO_LARGE' };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, logger: Logger, shape: ErrorShape = 'json'): void {
  const status = statusOf(err);
  if (status === 500) logger.error({ err, method: req.method, path: pathOf(req) }, 'request failed');
  else if (status === 503) logger.warn({ err: (err as Error).message, path: pathOf(req) }, 'database unavailable');
  if (res.headersSent) return void res.destroy(); // mid-stream: cutting it off is all that is left
  const message = status === 500 ? 'internal error' : status === 503 ? 'the database is unavailable; try again later' : (err as Error).message;
  const headers: Record<string, string> = err instanceof HttpError ? { ...err.headers } : {};
  if (status === 503) headers['retry-after'] = '5';
  // A body we refused unread is not read at all: the connection closes instead of draining it.
  if (hasUnreadBody(req)) headers.connection = 'close';
  const body = shape === 'graphql' ? { errors: [{ message, extensions: { code: GRAPHQL_CODES[status] ?? 'INTERNAL_SERVER_ERROR' } }] } : { error: message };
  sendJson(res, status, body, headers);
}

function hasUnreadBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
  return hasBody && !req.readableEnded;
}

/** The path without its query: query strings carry tokens (`?token=`) and are never logged. */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]!;
}
