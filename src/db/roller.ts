// The roller: keeps the per-minute rollup (src/db/rollup.ts) up with the committed logs, off the
// writer's path. Every second, and at start, it sums the logs past the watermark in steps of up
// to STEP_IDS ids, each step its own short transaction that moves the watermark with the sums —
// idempotent (a step that fails moved nothing) and restart-safe (the watermark is in the
// database). Several instances may run one each: a step that finds the lock taken is skipped.
//
// A step PostgreSQL refuses for good while it answers `select 1` is the logs' fault, not the database's:
// it is halved down to the one id that fails, which is passed over without its sums (logged) —
// as a log whose rollup failed used to be stored without it. A rollup must never stop.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { isTransientFailure } from './log-store.js';
import { rollStep, type Query } from './rollup.js';

const EVERY_MS = 1_000;
/** Ids per step: a few seconds of a busy fleet; one step's transaction stays well under a second. */
export const STEP_IDS = 20_000;

export interface RollerSteps {
  /** One step (see rollStep); `sum: false` moves the watermark past `span` ids without summing them. */
  step(span: number, sum: boolean): Promise<{ from: bigint; to: bigint } | undefined>;
  reachable(): Promise<boolean>;
}

export class MinuteRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly steps: RollerSteps,
    private readonly logger: Logger,
  ) {}

  /** Rolls up now, then every second. */
  start(): void {
    this.stopped = false;
    this.timer ??= setInterval(() => void this.runOnce(), EVERY_MS).unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Catches up with every log committed before it started; a run already going is joined. */
  runOnce(): Promise<void> {
    this.running ??= this.catchUp()
      .catch((err: unknown) => this.logger.warn({ err }, 'rollup paused; retrying in a second'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async catchUp(): Promise<void> {
    let span = STEP_IDS;
    while (!this.stopped) {
      let moved: { from: bigint; to: bigint } | undefined;
      try {
        moved = await this.steps.step(span, true);
      } catch (err) {
        // The database away, or a failure worth another try (a deadlock, a dropped connection): next tick.
        if (isTransientFailure(err) || !(await this.steps.reachable())) throw err;
        if (span > 1) {
          span = Math.ceil(span / 2);
          continue;
        }
        const skipped = await this.steps.step(1, false);
        this.logger.error({ err, logId: skipped?.to.toString() }, 'a log could not be added to the per-minute rollup; passed over');
        span = STEP_IDS;
        continue;
      }
      // Another roller holds the lock, or nothing past the watermark is final yet.
      if (!moved || moved.to === moved.from) return;
      // A short step ends at the newest log: caught up. A full one may have more behind it.
      if (moved.to - moved.from < BigInt(span)) return;
      span = Math.min(STEP_IDS, span * 2);
    }
  }
}

/** The roller's steps on a connection of the ORM's pool, each in its own transaction. */
export function postgresRollerSteps(orm: MikroORM): RollerSteps {
  const knex = () => orm.em.getConnection().getKnex().client;
  return {
    async step(span, sum) {
      const client = knex();
      const conn = (await client.acquireConnection()) as pg.ClientBase;
      try {
        return await stepOn(conn, span, sum);
      } finally {
        await client.releaseConnection(conn);
      }
    },
    async reachable() {
      return orm.em.fork().getConnection().execute('select 1').then(() => true, () => false);
    },
  };
}

/**
 * Sums every log committed past the watermark, on a script's own connection (the history seed,
 * which holds ROLLER_LOCK while it loads so that no roller passes its chunks before they commit).
 * Throws at the first failure.
 */
export async function rollUpAll(conn: pg.ClientBase, span = STEP_IDS): Promise<void> {
  for (;;) {
    const moved = await stepOn(conn, span, true);
    if (!moved || moved.to - moved.from < BigInt(span)) return;
  }
}

async function stepOn(conn: pg.ClientBase, span: number, sum: boolean): Promise<{ from: bigint; to: bigint } | undefined> {
  const query: Query = async <R>(text: string, params: unknown[]) => (await conn.query<R & pg.QueryResultRow>(text, params)).rows;
  try {
    await conn.query('begin');
    const moved = await rollStep(query, span, sum);
    await conn.query('commit');
    return moved;
  } catch (err) {
    await conn.query('rollback').catch(() => {});
    throw err;
  }
}
