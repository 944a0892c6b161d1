// The per-minute summaries Query.missions and Query.gaps read instead of the rows they stand for
// (src/db/missions.ts, src/db/gaps.ts, src/db/coverage.ts): for each vessel-minute with
// telemetry, its runs of one boolean `armed` value (`armed_run`) and its first and last seq with
// the gaps between them (`seq_minute`). Kept by a pass beside ingest rather than in it, so
// commits cost nothing more: every 30 s it summarises the logs committed beyond a watermark (ids
// commit in order, the writer's lock) — every minute they touch, read again whole, so a backlog
// arriving out of time order lands where it belongs — and moves the watermark, all in one
// transaction. Restarted or run twice, it does the same work again: the watermark says where to
// go on from. Telemetry beyond the watermark marks its minute as not summarised yet: read raw.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { TELEMETRY_TYPE } from '../logs/kinds.js';
import { WATERMARK_TABLE } from './coverage.js';
import { HAS_SEQ, SEQ_VALUE } from './gaps.js';
import { ARMED_VALUE, HAS_ARMED, MISSION_NUMBERS, haversine } from './missions.js';

const EVERY_MS = 30_000;
/** Log ids summarised per transaction: a backlog of millions goes in steps of a few seconds each. */
const CHUNK_IDS = 200_000;
/**
 * One pass at a time, whatever the number of instances (any constant but the writer's 7_261_001 and the roller's 7_261_002).
 * A load committing ids out of order (the seed) holds it until all are committed.
 */
export const TELEMETRY_MINUTES_LOCK = 7_261_003;

const BY_TIME = 'partition by vehicle_id, minute order by ts, id';
/** A touched minute with no row in `t` where `has` still gets a row, so it too counts as summarised. */
const emptyMinutes = (has: string, values: string) => `select vehicle_id, minute, ${values} from tm
  where not exists (select 1 from t where t.vehicle_id = tm.vehicle_id and t.minute = tm.minute and ${has})`;

// Bound: the touched minutes, a JSON array of { vehicle_id, minute }. Their telemetry is read
// once (t) for both summaries. Armed runs are cut where `armed` changes within the minute (the
// migration has the columns); a run's first and last of something are taken by the rows' place
// in the minute (k), min/max over [k, value…] arrays, so no aggregate sorts its rows again.
const SUMMARISE_SQL = `
with tm as (
  select * from jsonb_to_recordset(?::jsonb) as tm(vehicle_id int, minute timestamptz)
), t as materialized (
  select tm.vehicle_id, tm.minute, l.* from tm cross join lateral (
    select id, timestamp as ts, case when ${HAS_ARMED} then ${ARMED_VALUE} end as armed, ${MISSION_NUMBERS},
           case when ${HAS_SEQ} then ${SEQ_VALUE} end as seq
    from log
    where vehicle_id = tm.vehicle_id and type = '${TELEMETRY_TYPE}' and timestamp >= tm.minute and timestamp < tm.minute + interval '1 minute'
    offset 0 -- one index probe per minute: flattened into a join, the plan may read the whole log
  ) l
), a1 as (
  select *, armed is distinct from lag(armed) over w as starts, armed is distinct from lead(armed) over w as ends, row_number() over w as k
  from t where armed is not null window w as (${BY_TIME})
), a2 as (
  select *, sum(starts::int) over (${BY_TIME}) - 1 as run from a1
), a3 as (
  select vehicle_id, minute, run, lat, lon, lag(lat) over w as plat, lag(lon) over w as plon, lag(run) over w as prun
  from a2 where lat is not null and lon is not null window w as (${BY_TIME})
), run_meters as (
  select vehicle_id, minute, run, sum(${haversine('plat', 'plon', 'lat', 'lon')}) as meters from a3 where prun = run group by 1, 2, 3
), runs as (
  select vehicle_id, minute, run, bool_and(armed) as armed, min(ts) as first_ts, max(ts) as last_ts,
         max(id) filter (where starts) as first_id, max(id) filter (where ends) as last_id,
         max(lat) filter (where starts) as olat, max(lon) filter (where starts) as olon,
         max(speed) filter (where starts) as ospeed, max(volts) filter (where starts) as ovolts,
         min(array[k, lat, lon]) filter (where lat is not null and lon is not null) as p0,
         max(array[k, lat, lon]) filter (where lat is not null and lon is not null) as p1,
         max(speed) as max_speed, min(array[k, volts]) filter (where volts is not null) as v0, max(array[k, volts]) filter (where volts is not null) as v1
  from a2 group by 1, 2, 3
), armed_runs as (
  insert into armed_run (vehicle_id, minute, run, armed, first_ts, first_id, last_ts, last_id, lat0, lon0, lat1, lon1, meters, speed, volts0, volts1)
  select r.vehicle_id, r.minute, r.run, armed, first_ts, first_id, last_ts, last_id,
         case when armed then p0[2] else olat end, case when armed then p0[3] else olon end, p1[2], p1[3], coalesce(m.meters, 0),
         case when armed then max_speed else ospeed end, case when armed then v0[2] else ovolts end, v1[2]
  from runs r left join run_meters m using (vehicle_id, minute, run)
  union all ${emptyMinutes('t.armed is not null', '0, null, null, null, null, null, null, null, null, null, 0, null, null, null')}
), s1 as (
  select vehicle_id, minute, id, ts, seq, lag(seq) over w as prev_seq, lag(ts) over w as prev_ts, row_number() over w as k
  from t where seq is not null window w as (${BY_TIME})
), seq_minutes as (
  insert into seq_minute (vehicle_id, minute, first_ts, first_id, first_seq, last_ts, last_id, last_seq, gaps)
  select vehicle_id, minute, min(ts), max(id) filter (where k = 1), max(seq) filter (where k = 1),
         max(ts), (max(array[k, id]))[2], (max(array[k, seq]))[2],
         coalesce(jsonb_agg(jsonb_build_array(prev_seq, seq, prev_ts, ts)) filter (where seq > prev_seq + 1), '[]')
  from s1 group by 1, 2
  union all ${emptyMinutes('t.seq is not null', `null::timestamptz, null::bigint, null::float8, null::timestamptz, null::bigint, null::float8, '[]'::jsonb`)}
)
select 1`;

export class TelemetryMinutesPass {
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The newest id at the previous tick: a tick summarises up to it, so a minute is mostly read once it is complete. */
  private previous: string | undefined;
  private stopped = false;
  private busy = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Pick<Logger, 'warn'>,
    every: number | false = EVERY_MS,
  ) {
    if (every !== false) this.timer = setInterval(() => void this.tick(), every).unref();
  }

  /**
   * Summarises every log committed up to `upTo` (default: the newest now) not summarised yet;
   * `wait: false` gives up at once when another pass (or a load) holds the lock.
   */
  catchUp(upTo?: string, { wait = true }: { wait?: boolean } = {}): Promise<void> {
    const run = (this.running ?? Promise.resolve()).then(() => this.summariseUpTo(upTo, wait));
    this.running = run.catch(() => {});
    return run;
  }

  /** Waits for the chunk in hand; a backlog left goes on at the next start, from the watermark. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * The one the service runs, at start and every 30 s: up to the newest id of the previous tick
   * (at start: everything, all of it complete); skipped while a backlog is still being worked
   * through. Failures are logged, and the next tick tries again.
   */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [newest] = await this.execute<{ id: string | null }>(`select max(id)::text as id from log`, []);
      const target = this.previous ?? newest?.id ?? undefined;
      this.previous = newest?.id ?? undefined;
      if (target !== undefined) await this.catchUp(target, { wait: false });
    } catch (err) {
      this.logger.warn({ err }, 'summarising telemetry minutes failed; will retry');
    } finally {
      this.busy = false;
    }
  }

  private async summariseUpTo(upTo: string | undefined, wait: boolean): Promise<void> {
    const target = BigInt(upTo ?? (await this.execute<{ id: string | null }>(`select max(id)::text as id from log`, []))[0]?.id ?? 0);
    while (!this.stopped && (await this.summariseChunk(target, wait)));
  }

  /** One transaction: the next chunk of ids up to `target`; false when there is none left (or the lock is taken and `wait` false). */
  private summariseChunk(target: bigint, wait: boolean): Promise<boolean> {
    return this.orm.em.fork().transactional(async (em) => {
      const run = <T>(sql: string, params: unknown[]) => em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
      // Waiting for another instance's chunk, it then goes on from that one's watermark.
      const [lock] = await run<{ got: boolean }>(
        wait ? `select true as got from pg_advisory_xact_lock(?)` : `select pg_try_advisory_xact_lock(?) as got`, [TELEMETRY_MINUTES_LOCK]);
      if (!lock!.got) return false;
      // A chunk's sorts in memory; compiling the plan (JIT) would cost more than it saves.
      await run(`set local work_mem = '64MB'`, []);
      await run(`set local jit = off`, []);
      const [mark] = await run<{ last_id: string }>(`select last_id::text as last_id from ${WATERMARK_TABLE} for update`, []);
      const from = BigInt(mark!.last_id);
      if (from >= target) return false;
      const to = from + BigInt(CHUNK_IDS) < target ? from + BigInt(CHUNK_IDS) : target;
      const touched = await run<{ vehicle_id: number; minute: Date }>(
        `select distinct vehicle_id, date_trunc('minute', timestamp, 'UTC') as minute from log where id > ? and id <= ? and type = ?`,
        [from.toString(), to.toString(), TELEMETRY_TYPE],
      );
      if (touched.length > 0) {
        const keys = [JSON.stringify(touched)]; // knex would spread an array parameter into a list
        for (const table of ['armed_run', 'seq_minute']) {
          await run(`delete from ${table} a using jsonb_to_recordset(?::jsonb) as tm(vehicle_id int, minute timestamptz)
                     where a.vehicle_id = tm.vehicle_id and a.minute = tm.minute`, keys);
        }
        await run(SUMMARISE_SQL, keys);
      }
      await run(`update ${WATERMARK_TABLE} set last_id = ?`, [to.toString()]);
      return to < target;
    });
  }

  private execute<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.orm.em.fork().getConnection().execute<T[]>(sql, params);
  }
}
