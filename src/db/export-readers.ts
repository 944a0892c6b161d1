// Reading an export, chosen per database:
// - PostgreSQL: one `COPY (select …) TO STDOUT` (pg-copy-streams) on a dedicated connection (the
//   ORM's clientUrl), so a long export holds none of the pool the writer and queries use, reads
//   one consistent snapshot, and PostgreSQL's own CSV writer formats the rows: the bytes go from
//   the database to the client untouched, several times faster than parsing and re-writing each
//   row here.
// - PGlite (embedded, behind pglite-socket): every socket shares ONE backend session, so a
//   long-running statement would hold the writer off for the whole export. There each chunk of
//   CHUNK_ROWS rows is its own statement (keyset: id > last, order by id) on a pooled connection
//   released between chunks, so the writer commits between chunks; csv-stringify writes the CSV.
//   Ids commit in order (see the writer), so "id > last" misses nothing.
// Either way the caller pulls one chunk at a time: the next is read only once it asks.
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { stringify } from 'csv-stringify/sync';
import type { MikroORM } from '@mikro-orm/postgresql';
import { EXPORT_HEADER, EXPORT_SESSION, copyStatement, keysetStatement, type ExportFilter } from './export.js';

/** Rows per statement when reading PGlite in chunks (keysetChunks). */
export const CHUNK_ROWS = 5000;

/** The database could not be reached (answered 503, not 500). */
export class DatabaseUnavailable extends Error {}

export type ExportChunks = AsyncGenerator<string | Buffer, void, undefined>;

/**
 * The export's bytes, in chunks. Throws DatabaseUnavailable when the database cannot be asked
 * which kind it is; a first chunk that fails throws DatabaseUnavailable (no connection) or the
 * query's error. Always `return()` the generator: it holds a connection until then.
 */
export async function openExport(orm: MikroORM, filter: ExportFilter, scope: readonly number[] | undefined): Promise<ExportChunks> {
  const clientUrl = orm.config.get('clientUrl');
  let pglite: boolean;
  try {
    pglite = !clientUrl || (await isPglite(orm));
  } catch (err) {
    throw err instanceof DatabaseUnavailable ? err : new DatabaseUnavailable(`cannot ask the database: ${(err as Error).message}`, { cause: err });
  }
  return pglite ? keysetChunks(orm, filter, scope) : copyChunks(clientUrl!, copyStatement(filter, scope));
}

/** Whether the ORM's database is PGlite (one shared backend session), asked once per ORM. */
const pgliteByOrm = new WeakMap<MikroORM, Promise<boolean>>();
function isPglite(orm: MikroORM): Promise<boolean> {
  let known = pgliteByOrm.get(orm);
  if (!known) {
    known = withPooled(orm, async (c) => /PGlite/i.test((await c.query('select version() as v')).rows[0]?.v ?? ''));
    known.catch(() => pgliteByOrm.delete(orm)); // ask again next time
    pgliteByOrm.set(orm, known);
  }
  return known;
}

async function* copyChunks(clientUrl: string, copy: string): AsyncGenerator<Buffer> {
  const client = new pg.Client({ connectionString: clientUrl, connectionTimeoutMillis: 5000, application_name: 'seano-export' });
  client.on('error', () => {}); // a dropped connection surfaces as a failed read
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new DatabaseUnavailable(`cannot connect: ${(err as Error).message}`, { cause: err });
  }
  try {
    await client.query(EXPORT_SESSION);
    yield* client.query(copyTo(copy)) as AsyncIterable<Buffer>;
  } finally {
    // Ending the connection ends the COPY too, also when the client left half way.
    await client.end();
  }
}

const CSV_HEADER = stringify([], { header: true, columns: [...EXPORT_HEADER] });

type Row = unknown[]; // rowMode 'array': the id first, then the CSV's columns or the NDJSON line

async function* keysetChunks(orm: MikroORM, filter: ExportFilter, scope: readonly number[] | undefined): AsyncGenerator<string> {
  // The header goes out with the first rows: a first query that fails is still answered 500.
  let header = filter.format === 'csv' ? CSV_HEADER : '';
  let last: string | undefined;
  for (;;) {
    const text = keysetStatement(filter, scope, last, CHUNK_ROWS);
    const rows = await withPooled(orm, async (c) => (await c.query({ text, rowMode: 'array' })).rows as Row[]);
    if (rows.length) {
      const id = rows[rows.length - 1]![0];
      if (typeof id !== 'string') throw new Error(`unexpected id ${String(id)}`);
      last = id;
    }
    yield header + (filter.format === 'csv' ? stringify(rows) : rows.map((r) => `${r[1] as string}\n`).join(''));
    header = '';
    if (rows.length < CHUNK_ROWS) return;
  }
}

/** A raw pg client from the ORM's (knex) pool for one call. */
async function withPooled<T>(orm: MikroORM, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const knexClient = orm.em.getConnection().getKnex().client;
  const conn = (await knexClient.acquireConnection().catch((err: Error) => {
    throw new DatabaseUnavailable(`no database connection: ${err.message}`, { cause: err });
  })) as pg.ClientBase;
  try {
    return await fn(conn);
  } finally {
    await knexClient.releaseConnection(conn);
  }
}
