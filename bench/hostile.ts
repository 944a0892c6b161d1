// `npm run bench:hostile`: issue 12's findings tried again, one by one, on the current code, as
// an unlucky vessel and as an attacker would. One JSON object on stdout: per finding what the
// hostile side saw and the service's RSS (its own process: settled before, peak during, settled
// after, each after a full garbage collection). Progress goes to stderr. The service runs with auth on, on a scratch database on the
// machine's PostgreSQL and a private Mosquitto; every setting is its default except those in
// SERVICE_ENV. Sizes are settable (HOSTILE_* below); the run must fit in HOSTILE_BUDGET_SECONDS.
// HOSTILE_PARTS=a,c (comma list) runs only those parts, for development.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { once } from 'node:events';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import WebSocket from 'ws';
import { createScratchDatabase } from '../test/utils/backends.js';
import { spawnService, type ChildService } from '../test/utils/child.js';
import { disposeLeftovers } from '../test/utils/leftovers.js';
import { startMosquitto } from '../test/utils/mosquitto.js';
import { silentSocket } from '../test/utils/silent-socket.js';
import { bigPost, fullExport, graphqlWsHandshake, legacyOutcome, slowExport, sseUntilEnd } from './hostile-clients.js';
import { DB_URL, progress, rssOf, track } from './lib.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIZES = {
  good_messages: env('HOSTILE_GOOD_MESSAGES', 200),
  not_acceptable_posts: env('HOSTILE_406_POSTS', 20_000),
  big_payloads: env('HOSTILE_BIG_PAYLOADS', 100),
  big_payload_bytes: env('HOSTILE_BIG_PAYLOAD_BYTES', 2 * 2 ** 20),
  oversized_payloads: env('HOSTILE_OVERSIZED_PAYLOADS', 4),
  oversized_payload_bytes: env('HOSTILE_OVERSIZED_PAYLOAD_BYTES', 64 * 2 ** 20),
  large_rows: env('HOSTILE_LARGE_ROWS', 1000),
  large_row_bytes: 100 * 1024,
  big_bodies: env('HOSTILE_BIG_BODIES', 8),
  big_body_bytes: env('HOSTILE_BIG_BODY_BYTES', 20 * 2 ** 20),
  silent_sockets: env('HOSTILE_SILENT_SOCKETS', 200),
};
const EXPORT_IDLE_SECONDS = env('HOSTILE_EXPORT_IDLE_SECONDS', 3);
const parts = (process.env.HOSTILE_PARTS ?? 'a,b,c,d,d2,f,h,g,e,i').split(',');
const SECRET = randomBytes(32).toString('hex');
const SERVICE_ENV = {
  AUTH_JWT_SECRET: SECRET,
  // 2 MiB payloads must reach validation and the rejected table, not stop at the MQTT edge.
  MQTT_MAX_PAYLOAD: String(4 * 2 ** 20),
  EXPORT_IDLE_TIMEOUT_SECONDS: String(EXPORT_IDLE_SECONDS),
};
const started = performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(2));
const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));

// --- the service ---------------------------------------------------------------------------

interface Service {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  prefix: string;
  /** The service's inspector (ws://…), for a full GC before RSS readings. */
  inspectorUrl(): string;
  db: pg.Pool;
  /** Stopped (SIGTERM) and started again on the same database and spool. */
  restart(): Promise<void>;
}

async function startService(mqttUrl: string): Promise<Service> {
  const db = await createScratchDatabase(DB_URL);
  const dataDir = await mkdtemp(join(tmpdir(), 'seano-hostile-'));
  const tag = randomBytes(4).toString('hex');
  const prefix = `hostile-${tag}`;
  const serviceEnv = { DATABASE_URL: db.url, DATA_DIR: dataDir, MQTT_URL: mqttUrl, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: prefix, ...SERVICE_ENV };
  const spawn = async () => {
    const s = await spawnService({ ...serviceEnv, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() });
    track(s.child);
    return s;
  };
  let child: ChildService = await spawn();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const stop = async () => {
    child.child.kill('SIGTERM');
    await child.exited;
  };
  cleanups.push(async () => {
    await stop();
    await pool.end();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return {
    get url() { return child.url; },
    get port() { return child.port; },
    get pid() { return child.child.pid!; },
    prefix,
    db: pool,
    inspectorUrl: () => /Debugger listening on (ws:\/\/\S+)/.exec(child.output())![1]!,
    async restart() {
      await stop();
      child = await spawn();
    },
  };
}
const cleanups: (() => Promise<void>)[] = [];

async function token(o: { seconds?: number; sub?: string; claims?: Record<string, unknown> } = {}): Promise<{ jwt: string; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + (o.seconds ?? 600);
  const t = new SignJWT(o.claims ?? {}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp);
  if (o.sub) t.setSubject(o.sub);
  return { jwt: await t.sign(new TextEncoder().encode(SECRET)), exp };
}

// --- measuring -----------------------------------------------------------------------------

/** Median of three readings after a pause: RSS moves with GC, one reading is noisy. */
async function settledRss(pid: number): Promise<number> {
  await sleep(1000);
  const r: number[] = [];
  for (let i = 0; i < 3; i++) {
    r.push(await rssOf(pid));
    await sleep(200);
  }
  return r.sort((a, b) => a - b)[1]!;
}

/**
 * A full garbage collection in the service, through its inspector (started with --inspect on a
 * free port), then the V8 heap in use: RSS read after it is what the service still holds, not
 * garbage a lazy collector has not reached yet.
 */
async function collectGarbage(svc: Service): Promise<number> {
  const ws = new WebSocket(svc.inspectorUrl());
  await once(ws, 'open');
  const call = (id: number, method: string) =>
    new Promise<any>((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(String(data));
        if (msg.id === id) resolve((ws.off('message', onMessage), msg.result));
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method }));
    });
  await call(1, 'HeapProfiler.collectGarbage');
  const { usedSize } = await call(2, 'Runtime.getHeapUsage');
  ws.close();
  return usedSize;
}

/** Runs `f` and adds the service's RSS around it; the peak is VmHWM, reset before (clear_refs 5). */
async function withRss<T extends object>(svc: Service, f: () => Promise<T>): Promise<T & { service_rss_mb: Record<string, number> }> {
  const heapBefore = await collectGarbage(svc);
  const before = await settledRss(svc.pid);
  await writeFile(`/proc/${svc.pid}/clear_refs`, '5');
  const result = await f();
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${svc.pid}/status`, 'utf8'))![1]) * 1024;
  const heapAfter = await collectGarbage(svc);
  const after = await settledRss(svc.pid);
  return {
    ...result,
    service_rss_mb: {
      before: mb(before), peak: mb(peak), after: mb(after), peak_growth: mb(peak - before), kept: mb(after - before),
      heap_used_before: mb(heapBefore), heap_used_after: mb(heapAfter), // after a full GC
    },
  };
}

async function waitFor<T>(f: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

const count = async (svc: Service, sql: string, params: unknown[] = []) => Number((await svc.db.query(sql, params)).rows[0].n);
const storedOfRun = (svc: Service, run: string) => count(svc, `select count(*) as n from log where data->>'run' = $1`, [run]);
const rejectedOf = (svc: Service, vehicle: number) => count(svc, `select count(*) as n from rejected_message where topic like $1`, [`%/${vehicle}/%`]);

async function readyz(svc: Service) {
  const res = await fetch(`${svc.url}/readyz`);
  return { status: res.status, ...((await res.json()) as object) };
}

async function stats(svc: Service) {
  const { jwt } = await token();
  return (await fetch(`${svc.url}/api/ws/stats`, { headers: { authorization: `Bearer ${jwt}` } })).json() as Promise<any>;
}

async function gql(svc: Service, query: string, variables?: Record<string, unknown>, jwt?: string) {
  const t0 = performance.now();
  jwt ??= (await token()).jwt;
  const res = await fetch(`${svc.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text);
  const error = body.errors?.[0];
  return {
    status: res.status,
    response_bytes: text.length,
    seconds: secondsSince(t0),
    ...(error ? { code: error.extensions?.code, message: String(error.message).slice(0, 160) } : { served: true }),
  };
}

// --- the findings --------------------------------------------------------------------------

interface Ctx {
  svc: Service;
  vessel: MqttClient;
  publish(vehicle: number, type: string, payload: string | Buffer): Promise<void>;
}

async function goodMessages(ctx: Ctx, run: string, n: number): Promise<{ published: number; stored: number; seconds: number }> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) =>
    ctx.publish((i % 10) + 1, 'vehicle_log', JSON.stringify({ run, seq: i, battery_voltage: 12.1, speed: 3.2, latitude: -6.1, longitude: 106.8 }))));
  const stored = await waitFor(() => storedOfRun(ctx.svc, run), (c) => c >= n, 30_000);
  return { published: n, stored, seconds: secondsSince(t0) };
}

/** (a) JSON nested 6,000 levels, then good messages; and the same after a restart on the same spool. */
async function poison(ctx: Ctx) {
  const deepArray = `{"sensor_id":1,"data":{"x":${'['.repeat(6000)}${']'.repeat(6000)}}}`;
  const deepObject = `${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}`;
  const first = await withRss(ctx.svc, async () => {
    await ctx.publish(900, 'sensor_log', deepArray);
    await ctx.publish(901, 'vehicle_log', deepObject);
    return { good_after_poison: await goodMessages(ctx, 'a', SIZES.good_messages), readyz_after: await readyz(ctx.svc) };
  });
  const reasons = (await ctx.svc.db.query(`select topic, reason, payload_size from rejected_message where topic ~ '/90[01]/' order by id`)).rows
    .map((r) => ({ type: r.topic.split('/').pop(), payload_bytes: r.payload_size, reason: r.reason.slice(0, 100) }));
  await ctx.svc.restart();
  const again = await goodMessages(ctx, 'a-restart', 50);
  return {
    poison: [{ type: 'sensor_log', bytes: deepArray.length, nesting: 6002 }, { type: 'vehicle_log', bytes: deepObject.length, nesting: 6000 }],
    ...first,
    rejected: reasons,
    after_restart: { good: again, readyz: await readyz(ctx.svc) },
  };
}

/** (b) battery_voltage at float64's maximum twice in one minute. */
async function floatMax(ctx: Ctx) {
  const minute = new Date();
  minute.setUTCSeconds(0, 0);
  const at = (s: number) => new Date(minute.getTime() + s * 1000).toISOString();
  for (const s of [1, 2]) await ctx.publish(700, 'vehicle_log', `{"run":"b","battery_voltage":1.7976931348623157e308,"timestamp":"${at(s)}"}`);
  const stored = await waitFor(() => storedOfRun(ctx.svc, 'b'), (c) => c >= 2, 15_000);
  const values = (await ctx.svc.db.query(`select data->>'battery_voltage' as v from log where data->>'run' = 'b' order by id`)).rows.map((r) => Number(r.v));
  return { published: 2, stored, rejected: await rejectedOf(ctx.svc, 700), stored_values: values };
}

/** (c) subscriptions POSTed with accept: application/json, answered 406. */
async function notAcceptableLoop(ctx: Ctx) {
  const { jwt } = await token();
  const before = (await stats(ctx.svc)).active_subscriptions;
  const statuses: Record<number, number> = {};
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < SIZES.not_acceptable_posts) {
      const res = await fetch(`${ctx.svc.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${jwt}` },
        body: '{"query":"subscription { logs { id } }"}',
      });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const seconds = secondsSince(t0);
  await sleep(500);
  return { posts: SIZES.not_acceptable_posts, seconds, statuses, active_subscriptions: { before, after: (await stats(ctx.svc)).active_subscriptions } };
}

/** (d) random (so incompressible) large payloads: how much each rejected one adds to the table. */
async function rejectedGrowth(ctx: Ctx) {
  const size = `select pg_total_relation_size('rejected_message') as n`;
  const before = await count(ctx.svc, size);
  const t0 = performance.now();
  for (let i = 0; i < SIZES.big_payloads; i += 4) {
    await Promise.all(Array.from({ length: Math.min(4, SIZES.big_payloads - i) }, () => ctx.publish(800, 'vehicle_log', randomBytes(SIZES.big_payload_bytes))));
  }
  const rejected = await waitFor(() => rejectedOf(ctx.svc, 800), (c) => c >= SIZES.big_payloads, 60_000);
  const seconds = secondsSince(t0);
  const after = await count(ctx.svc, size);
  const [row] = (await ctx.svc.db.query(
    `select max(octet_length(payload)) as kept, max(payload_size) as size, min(reason) as reason from rejected_message where topic like '%/800/%'`,
  )).rows;
  return {
    payloads: SIZES.big_payloads,
    payload_bytes: SIZES.big_payload_bytes,
    rejected,
    seconds,
    table_growth_bytes: after - before,
    bytes_per_rejected_row: Math.round((after - before) / Math.max(1, rejected)),
    payload_bytes_kept_per_row: Number(row.kept),
    payload_size_recorded: Number(row.size),
    reason: String(row.reason).slice(0, 100),
  };
}

/** Payloads over MQTT_MAX_PAYLOAD: rejected, but each arrives whole (MQTT 3.1.1 has no packet limit of the receiver's). */
async function oversized(ctx: Ctx) {
  const before = await rejectedOf(ctx.svc, 801);
  for (let i = 0; i < SIZES.oversized_payloads; i++) await ctx.publish(801, 'vehicle_log', Buffer.alloc(SIZES.oversized_payload_bytes, '{'));
  const rejected = await waitFor(() => rejectedOf(ctx.svc, 801), (c) => c >= before + SIZES.oversized_payloads, 60_000);
  const [row] = (await ctx.svc.db.query(`select min(reason) as reason, max(octet_length(payload)) as kept from rejected_message where topic like '%/801/%'`)).rows;
  return { payloads: SIZES.oversized_payloads, payload_mb: mb(SIZES.oversized_payload_bytes), rejected: rejected - before, payload_bytes_kept_per_row: Number(row.kept), reason: row.reason };
}

const PAGE = 'edges { node { id ... on RawLog { message } } }';
const aliases = (n: number, arg: string) => Array.from({ length: n }, (_, i) => `a${i}: logs(vehicleId: 600, ${arg}) { ${PAGE} }`).join(' ');

/** 1000 raw lines of 100 KB for vehicle 600, once: part e queries them, part g exports them. */
let seeded: Promise<unknown> | undefined;
const seedLargeRows = (svc: Service) =>
  (seeded ??= svc.db.query(
    `insert into log (id, vehicle_id, type, timestamp, received_at, message)
     select nextval('log_id_seq'), 600, 'raw_log', now(), now(), repeat(md5(g::text), $2 / 32) from generate_series(1, $1) g`,
    [SIZES.large_rows, SIZES.large_row_bytes],
  ));

/** (e) pages of 1000 raw lines of 100 KB, by aliases: each query on a freshly started service
 * (warmed by one small query), so each one's RSS is its own and not what the previous one left. */
async function largeRows(ctx: Ctx) {
  await seedLargeRows(ctx.svc);
  const measured = async (query: string, variables?: Record<string, unknown>) => {
    await ctx.svc.restart();
    await gql(ctx.svc, '{ logs(first: 1) { edges { cursor } } }');
    const measuredQuery = await withRss(ctx.svc, () => gql(ctx.svc, query, variables));
    // Rows loaded for the other aliases outlive the answer by a few seconds: freed by then, or held?
    await sleep(5000);
    const heap = await collectGarbage(ctx.svc);
    return { ...measuredQuery, five_s_later_mb: { rss: mb(await rssOf(ctx.svc.pid)), heap_used: mb(heap) } };
  };
  return {
    rows_seeded: SIZES.large_rows,
    row_bytes: SIZES.large_row_bytes,
    one_alias_first_200: await measured(`{ ${aliases(1, 'first: 200')} }`),
    one_alias_first_1000: await measured(`{ ${aliases(1, 'first: 1000')} }`),
    four_aliases_first_1000: await measured(`{ ${aliases(4, 'first: 1000')} }`),
    fifteen_aliases_literal: await measured(`{ ${aliases(15, 'first: 1000')} }`),
    fifteen_aliases_variables: await measured(`query Pages($n: Int) { ${aliases(15, 'first: $n')} }`, { n: 1000 }),
  };
}

/** (f) large bodies in parallel, without a token (with a Content-Length, and chunked), and with one. */
async function bigBodies(ctx: Ctx) {
  const { jwt } = await token();
  const many = (o: { chunked?: boolean; token?: string }) =>
    Promise.all(Array.from({ length: SIZES.big_bodies }, () => bigPost(ctx.svc.url, SIZES.big_body_bytes, o)));
  const summary = (r: { status: number | string; sent_mb: number }[]) => ({
    statuses: [...new Set(r.map((x) => x.status))],
    client_sent_mb_max: Math.max(...r.map((x) => x.sent_mb)),
  });
  return withRss(ctx.svc, async () => ({
    bodies: SIZES.big_bodies,
    body_mb: mb(SIZES.big_body_bytes),
    no_token_content_length: summary(await many({})),
    no_token_chunked: summary(await many({ chunked: true })),
    with_token_content_length: summary(await many({ token: jwt })),
  }));
}

/** (g) streams and exports at their token's expiry; slow export readers against the idle timeout. */
async function streams(ctx: Ctx) {
  const short = await token({ seconds: 3 });
  const exportPath = (vehicle: number) => `/api/logs/export?vehicle_id=${vehicle}&format=csv`;
  const afterExpiry = (ms: number) => Number((ms / 1000 - short.exp).toFixed(2));
  await seedLargeRows(ctx.svc);
  const [status, logs, exported] = await Promise.all([
    sseUntilEnd(ctx.svc.url, 'subscription { vehicleStatus { vehicleId status } }', short.jwt),
    sseUntilEnd(ctx.svc.url, 'subscription { logs { id } }', short.jwt),
    slowExport(ctx.svc.port, exportPath(600), short.jwt, 4 * 2 ** 20).ended,
  ]);
  const expiry = {
    token_seconds: 3,
    sse_vehicle_status: { status: status.status, ended_s_after_expiry: afterExpiry(status.ended_at_ms), complete_event: status.complete_event },
    sse_logs: { status: logs.status, ended_s_after_expiry: afterExpiry(logs.ended_at_ms), complete_event: logs.complete_event },
    export_read_at_4_mib_s: { ended_s_after_expiry: afterExpiry(exported.at_ms), mb_read: mb(exported.bytes_read), how: exported.how },
  };
  // Four readers taking 1 KB/s each, with four tokens (subjects), hold EXPORT_MAX_CONCURRENT (4).
  const t0 = performance.now();
  const slow = await Promise.all([1, 2, 3, 4].map(async (i) => slowExport(ctx.svc.port, exportPath(600), (await token({ sub: `slow-${i}` })).jwt, 1024)));
  const slowStatuses = await Promise.all(slow.map((s) => s.status));
  const fifth = await token({ sub: 'fifth' });
  const exportUrl = `${ctx.svc.url}${exportPath(700)}`;
  const first = await fullExport(exportUrl, fifth.jwt);
  const served = await waitFor(() => fullExport(exportUrl, fifth.jwt), (r) => r.status === 200 && r.complete, 60_000);
  const servedAfter = secondsSince(t0);
  // Each reader's idle window starts when its socket stops taking bytes: give every one of them
  // the whole window before reading on.
  await sleep(EXPORT_IDLE_SECONDS * 2000);
  for (const s of slow) s.readOn();
  const ends = await Promise.race([Promise.all(slow.map((s) => s.ended)), sleep(10_000).then(() => undefined)]);
  for (const s of slow) s.destroy();
  return {
    expiry,
    slow_readers: {
      readers: 4,
      bytes_per_second: 1024,
      export_mb: mb(SIZES.large_rows * SIZES.large_row_bytes),
      export_idle_timeout_seconds: EXPORT_IDLE_SECONDS,
      statuses: slowStatuses,
      fifth_export_first_status: first.status,
      fifth_export_served: served.status === 200 && served.complete,
      fifth_served_s_after_readers_started: servedAfter,
      // Read on at full speed once the fifth was served: a reader that was cut ends, short of the file.
      readers_ended: ends ? ends.map((e) => ({ after_s: e.after_s, mb_read: mb(e.bytes_read), how: e.how })) : 'still open 10 s later',
    },
  };
}

/** (h) sockets that never send connection_init, then a real client of the same address. */
async function silentSockets(ctx: Ctx) {
  const { jwt } = await token();
  const upgrades = await Promise.allSettled(Array.from({ length: SIZES.silent_sockets }, () => silentSocket(ctx.svc.port, '/graphql')));
  const silent = upgrades.flatMap((u) => (u.status === 'fulfilled' ? [u.value] : []));
  const t0 = performance.now();
  const outcomes: Record<string, number> = {};
  let outcome = '';
  for (let attempt = 0; outcome !== 'ack' && secondsSince(t0) < 30; attempt++) {
    if (attempt) await sleep(250);
    outcome = await graphqlWsHandshake(`ws://127.0.0.1:${ctx.svc.port}/graphql`, jwt);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  const acceptedAfter = secondsSince(t0);
  // Sockets the service did not cut are destroyed with the bench's leftovers at its end.
  const codes = await Promise.race([Promise.all(silent.map((s) => s.closed)), sleep(10_000).then(() => undefined)]);
  return {
    silent_sockets: SIZES.silent_sockets,
    silent_upgraded_101: silent.length,
    silent_upgrades_refused: [...new Set(upgrades.flatMap((u) => (u.status === 'rejected' ? [String(u.reason?.message ?? u.reason)] : [])))],
    real_client_attempts: outcomes,
    real_client_accepted: outcome === 'ack',
    real_client_accepted_s_after_silent_opened: acceptedAfter,
    silent_close_codes: codes ? [...new Set(codes)] : 'still open after 10 s',
  };
}

/** (i) weak secrets at start-up; ids out of range in cursors, tokens, the export and /api/ws. */
async function secretsAndIds(ctx: Ctx, mqttUrl: string) {
  const startup: Record<string, unknown> = {};
  for (const secret of ['a', ' ']) {
    const dir = await mkdtemp(join(tmpdir(), 'seano-hostile-'));
    try {
      const s = await spawnService({ DATA_DIR: dir, MQTT_URL: mqttUrl, AUTH_JWT_SECRET: secret });
      s.child.kill('SIGTERM');
      startup[JSON.stringify(secret)] = 'started (not refused)';
    } catch (err) {
      startup[JSON.stringify(secret)] = { refused: true, line: /Invalid setting[^\n]*/.exec(String(err))?.[0] ?? String(err).slice(0, 200) };
    }
    await rm(dir, { recursive: true, force: true });
  }
  const beyond = '9223372036854775808'; // bigint max + 1
  const huge = await token({ claims: { vehicles: [2 ** 31] } });
  const { jwt } = await token();
  const exportRes = await fetch(`${ctx.svc.url}/api/logs/export?vehicle_id=99999999999`, { headers: { authorization: `Bearer ${jwt}` } });
  const ws = `ws://127.0.0.1:${ctx.svc.port}/api/ws`;
  return {
    auth_jwt_secret_at_startup: startup,
    graphql_cursor_beyond_bigint: await gql(ctx.svc, `{ logs(after: "${beyond}") { edges { cursor } } }`),
    graphql_cursor_negative: await gql(ctx.svc, 'query($c: String) { logs(after: $c) { edges { cursor } } }', { c: '-1' }),
    graphql_vehicle_id_zero: await gql(ctx.svc, '{ logs(vehicleId: 0) { edges { cursor } } }'),
    token_vehicles_beyond_int4: await gql(ctx.svc, '{ logs(first: 1) { edges { cursor } } }', undefined, huge.jwt),
    export_vehicle_id_beyond_int4: exportRes.status,
    legacy_after_beyond_bigint: await legacyOutcome(`${ws}?token=${jwt}&after=${beyond}`),
    legacy_vehicle_beyond_int4: await legacyOutcome(`${ws}/vehicle/99999999999?token=${jwt}`),
    legacy_token_vehicles_beyond_int4: await legacyOutcome(`${ws}?token=${huge.jwt}`),
  };
}

// --- the run -------------------------------------------------------------------------------

const out: Record<string, unknown> = {};
const done: string[] = [];
const errors: Record<string, string> = {};
function print(extra: Record<string, unknown> = {}): void {
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)), node: process.version };
  console.log(JSON.stringify({ machine: { ...machine, load_average_after: loadavg().map((l) => Number(l.toFixed(2))) }, service_env: { ...SERVICE_ENV, AUTH_JWT_SECRET: '(64 hex chars)' }, sizes: SIZES, ...out, bench_seconds: Math.round((performance.now() - started) / 1000), ...extra }, null, 2));
}

async function cleanUp(): Promise<void> {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await disposeLeftovers().catch(() => {});
}

const load_average_before = loadavg().map((l) => Number(l.toFixed(2)));
const broker = await startMosquitto();
const watchdog = setTimeout(async () => {
  progress('time budget spent: printing what was measured');
  print({ incomplete: parts.filter((p) => !done.includes(p)), errors });
  await cleanUp();
  process.exit(1);
}, env('HOSTILE_BUDGET_SECONDS', 300) * 1000);

const svc = await startService(broker.url);
const vessel = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `hostile-vessel-${randomBytes(3).toString('hex')}` });
const ctx: Ctx = {
  svc,
  vessel,
  publish: async (vehicle, type, payload) => void (await vessel.publishAsync(`${svc.prefix}/${vehicle}/${type}`, payload, { qos: 1 })),
};
out.load_average_before = load_average_before;
await collectGarbage(svc);
out.service_rss_at_start_mb = mb(await settledRss(svc.pid));

const run: Record<string, [string, () => Promise<object>]> = {
  a: ['a_nested_6000_levels', () => poison(ctx)],
  b: ['b_float_max_twice_a_minute', () => floatMax(ctx)],
  c: ['c_406_subscription_loop', () => withRss(svc, () => notAcceptableLoop(ctx))],
  d: ['d_rejected_large_payloads', () => withRss(svc, () => rejectedGrowth(ctx))],
  d2: ['d2_payloads_over_mqtt_max_payload', () => withRss(svc, () => oversized(ctx))],
  e: ['e_aliases_over_large_rows', () => largeRows(ctx)],
  f: ['f_large_bodies', () => bigBodies(ctx)],
  g: ['g_streams_and_exports', () => withRss(svc, () => streams(ctx))],
  h: ['h_silent_sockets', () => withRss(svc, () => silentSockets(ctx))],
  i: ['i_secrets_and_ids', () => secretsAndIds(ctx, broker.url)],
};
for (const part of parts) {
  const [name, f] = run[part] ?? [part, () => Promise.reject(new Error(`unknown part (one of ${Object.keys(run).join(', ')})`))];
  progress(`${name}`);
  try {
    out[name] = await f();
  } catch (err) {
    errors[name] = err instanceof Error ? err.message : String(err);
    progress(`${name} failed: ${errors[name]}`);
  }
  done.push(part);
}
clearTimeout(watchdog);
await vessel.endAsync();
print(Object.keys(errors).length ? { errors } : {});
await cleanUp();
process.exit(Object.keys(errors).length ? 1 : 0);
