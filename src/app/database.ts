// The database component: embedded PGlite when DATABASE_URL is unset, the ORM (migrations run
// as it opens), the reachability probe /readyz reads, retention, and the per-minute rollup's roller.
import type { Config } from '../config.js';
import { initORM, type MikroORM } from '../db/orm.js';
import { TelemetryMinutesPass } from '../db/telemetry-minutes.js';
import { DatabaseHealth } from '../db/health.js';
import { Retention } from '../db/retention.js';
import { MinuteRoller, postgresRollerSteps } from '../db/roller.js';
import type { EmbeddedPostgres } from '../embedded/postgres.js';
import { StartupError } from '../http/listen.js';
import { redactUrl } from '../ingest/mqtt.js';
import type { Logger } from '../logger.js';
import { required, type Component } from './shared.js';

export interface Database extends Component {
  readonly orm: MikroORM;
  /** The probe's last answer (false before start). */
  readonly reachable: boolean;
}

type DatabaseSettings = Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'LOG_RETENTION_DAYS' | 'REJECTED_RETENTION_DAYS'>;

export function createDatabase(config: DatabaseSettings, logger: Logger): Database {
  let embedded: EmbeddedPostgres | undefined;
  let orm: MikroORM | undefined;
  let health: DatabaseHealth | undefined;
  let retention: Retention | undefined;
  let roller: MinuteRoller | undefined;
  let telemetryMinutes: TelemetryMinutesPass | undefined;
  return {
    get orm() {
      return required(orm, 'the database');
    },
    get reachable() {
      return health?.up ?? false;
    },
    async start() {
      if (!config.DATABASE_URL) {
        const { startEmbeddedPostgres } = await import('../embedded/postgres.js'); // loaded only when used
        embedded = await startEmbeddedPostgres(config.DATA_DIR).catch((err: Error) => {
          throw new StartupError(`cannot open the embedded database in DATA_DIR=${config.DATA_DIR}: ${err.message}`);
        });
      }
      const url = config.DATABASE_URL ?? embedded!.url;
      orm = await initORM({ clientUrl: url, poolMax: embedded?.maxConnections ?? 10 }).catch((err: Error) => {
        throw new StartupError(`cannot use the database at ${redactUrl(url)}: ${err.message}; check DATABASE_URL`);
      });
      health = new DatabaseHealth(orm);
      retention = new Retention(orm, { logDays: config.LOG_RETENTION_DAYS, rejectedDays: config.REJECTED_RETENTION_DAYS }, logger);
      void retention.runOnce(); // at start, then hourly
      telemetryMinutes = new TelemetryMinutesPass(orm, logger);
      void telemetryMinutes.tick(); // at start, then every 30 s
      roller = new MinuteRoller(postgresRollerSteps(orm), logger);
      roller.start();
    },
    async stop() {
      await roller?.stop();
      await retention?.stop();
      await telemetryMinutes?.stop();
      health?.stop();
      await orm?.close(true);
      await embedded?.stop();
      [roller, retention, telemetryMinutes, health, orm, embedded] = [undefined, undefined, undefined, undefined, undefined, undefined];
    },
  };
}
