// GET /api/logs/export: the stored history as CSV or NDJSON for analysts, streamed with constant
// memory however many rows match (millions), ordered by id (parameters: export-params.ts; SQL and
// readers: db/export*.ts). The response is written no faster than the client takes it
// (res.write → 'drain'), and a client that hangs up stops the reading and gives the connection
// back. Every export is bounded (issue 12): it ends at its token's expiry, a client that takes
// nothing for EXPORT_IDLE_TIMEOUT_SECONDS is cut off, and slots are shared out per client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { allows, onExpiry, type Principal } from '../auth/tokens.js';
import { DatabaseUnavailable, openExport, type ExportChunks } from '../db/export-readers.js';
import type { ExportFilter } from '../db/export.js';
import { parseExportParams } from './export-params.js';
import { ExportSlots } from './export-slots.js';
import { authorizeOrRefuse, sendJson } from './routes.js';

export const EXPORT_PATH = '/api/logs/export';

export interface ExportDeps {
  orm: MikroORM;
  /** Who is asking (Authorization: Bearer …); throws AuthError. */
  authorize: (req: IncomingMessage) => Promise<Principal>;
  /** Where failures and cut-off exports are reported (optional). */
  logger?: Pick<Logger, 'warn'>;
  /** The client's address, for the per-client share when its token names no subject (default: the socket's). */
  clientAddress?: (req: IncomingMessage) => string;
}

export type ExportSettings = Pick<Config, 'EXPORT_MAX_CONCURRENT' | 'EXPORT_MAX_PER_CLIENT' | 'EXPORT_IDLE_TIMEOUT_SECONDS'>;

/** Resolves true when the path is the export's (answered, whatever the outcome). */
export type ExportHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export function createExportHandler(deps: ExportDeps, settings: ExportSettings): ExportHandler {
  const slots = new ExportSlots({ maxConcurrent: settings.EXPORT_MAX_CONCURRENT, maxPerClient: settings.EXPORT_MAX_PER_CLIENT });
  const idleMs = settings.EXPORT_IDLE_TIMEOUT_SECONDS * 1000;
  const clientAddress = deps.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  return async (req, res, url) => {
    if (url.pathname !== EXPORT_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed; use GET' });
      return true;
    }
    const principal = await authorizeOrRefuse(deps.authorize, req, res);
    if (!principal) return true;
    const filter = parseExportParams(url.searchParams);
    if ('error' in filter) {
      sendJson(res, 400, filter);
      return true;
    }
    if (filter.vehicleId !== undefined && !allows(principal.scope, filter.vehicleId)) {
      sendJson(res, 403, { error: `vehicle_id ${filter.vehicleId} is outside this token's vehicles` });
      return true;
    }
    const client = principal.subject !== undefined ? `subject:${principal.subject}` : `address:${clientAddress(req)}`;
    const slot = slots.admit(client);
    if (!slot.ok) {
      res.setHeader('retry-after', '10');
      sendJson(res, slot.status, { error: slot.message });
      return true;
    }
    const stopWatching = onExpiry(principal, () => cut(res, 401, 'token expired'));
    try {
      await streamExport({ ...deps, idleMs }, filter, principal.scope, req, res);
    } finally {
      stopWatching();
      slot.release();
    }
    return true;
  };
}

type StreamDeps = ExportDeps & { idleMs: number };

async function streamExport(d: StreamDeps, f: ExportFilter, scope: readonly number[] | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = {
    'content-type': f.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="${filename(f)}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, headers);
    return void res.end();
  }
  let chunks: ExportChunks;
  try {
    chunks = await openExport(d.orm, f, scope);
  } catch (err) {
    return refuse(d, res, err);
  }
  try {
    let first: IteratorResult<string | Buffer>;
    try {
      first = await chunks.next();
    } catch (err) {
      return refuse(d, res, err); // nothing sent yet: a proper status still fits
    }
    if (gone(res)) return;
    res.writeHead(200, headers);
    await send(d, chunks, first, res);
  } finally {
    await chunks.return(undefined).catch((err: unknown) => d.logger?.warn({ err }, 'export: closing the database connection failed'));
  }
}

/** Writes the chunks as the client takes them; cuts the response when it stops taking them. */
async function send(d: StreamDeps, chunks: ExportChunks, first: IteratorResult<string | Buffer>, res: ServerResponse): Promise<void> {
  try {
    // Pulled one chunk at a time: the next is read only once the client has taken this one.
    for (let next = first; !next.done; next = await chunks.next()) {
      if (gone(res)) return;
      if (!next.value.length || res.write(next.value)) continue;
      if ((await drained(res, d.idleMs)) === 'idle') {
        d.logger?.warn({ idleSeconds: d.idleMs / 1000 }, 'export cut off: the client took nothing for EXPORT_IDLE_TIMEOUT_SECONDS');
        return cut(res, 408, 'idle');
      }
    }
    if (!gone(res)) res.end();
  } catch (err) {
    // Headers are out: all we can do is cut the response so the client sees it incomplete.
    if (!gone(res)) d.logger?.warn({ err }, 'export failed midway');
    cut(res, 500, 'the export failed');
  }
}

function refuse(d: StreamDeps, res: ServerResponse, err: unknown): void {
  const down = err instanceof DatabaseUnavailable;
  d.logger?.warn({ err }, down ? 'export: cannot read from the database' : 'export: the query failed');
  if (gone(res)) return;
  if (down) sendJson(res, 503, { error: 'the database is not available; try again later' });
  else sendJson(res, 500, { error: 'the export failed; try again later' });
}

/** The client went away, or the response was cut or answered: nothing more to write. */
function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

/**
 * Ends a response that cannot finish: with a status while none is sent, else with a TCP reset,
 * so the client cannot take a cut file for a whole one (there is no trailer to say so) and the
 * kernel drops what it still holds for a client that stopped reading.
 */
function cut(res: ServerResponse, status: number, error: string): void {
  if (gone(res)) return;
  if (!res.headersSent) return sendJson(res, status, { error });
  if (res.socket && !res.socket.destroyed) res.socket.resetAndDestroy();
  else res.destroy();
}

/** Resolves once the client has taken what was written ('drain'), left, or taken nothing for `idleMs`. */
function drained(res: ServerResponse, idleMs: number): Promise<'drained' | 'idle'> {
  if (res.destroyed) return Promise.resolve('drained');
  return new Promise((resolve) => {
    const done = (outcome: 'drained' | 'idle') => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      resolve(outcome);
    };
    const onDrain = () => done('drained');
    const timer = setTimeout(() => done('idle'), idleMs);
    res.on('drain', onDrain);
    res.on('close', onDrain);
  });
}

function filename(f: ExportFilter): string {
  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const parts = ['seano-logs'];
  if (f.vehicleId !== undefined) parts.push(`vehicle-${f.vehicleId}`);
  if (f.types?.length) parts.push(f.types.join('+'));
  if (f.from) parts.push(`from-${stamp(f.from)}`);
  if (f.to) parts.push(`to-${stamp(f.to)}`);
  return `${parts.join('_')}.${f.format}`;
}
