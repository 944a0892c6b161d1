// MikroORM over PostgreSQL (the machine's, or embedded PGlite behind a local socket: same driver).
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

export interface OrmOptions {
  clientUrl: string;
  /** Connections in the pool; PGlite's socket server takes only as many as it was started with. */
  poolMax: number;
}

export async function initORM(options: OrmOptions): Promise<MikroORM> {
  const orm = await MikroORM.init({
    clientUrl: options.clientUrl,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, disableForeignKeys: false, silent: true },
    pool: { min: 0, max: options.poolMax },
    // Fail fast at start-up instead of hanging on an unreachable host.
    driverOptions: { connection: { connectionTimeoutMillis: 5000 } },
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
  });
  await orm.getMigrator().up();
  return orm;
}

export type { MikroORM };
