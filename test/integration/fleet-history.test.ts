// The fleet's past against hand-computed answers (SPEC §10): series in local days across the
// Europe/Berlin DST change of 2026-03-29, fleet(at), seq gaps, missions (read from the rows and
// from the summarised armed runs alike), and a paced replay.
import { parse } from 'graphql';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../utils/backends.js';
import { graphqlWsClient, openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { sql } from '../utils/wait.js';
import { TelemetryMinutesPass } from '../../src/db/telemetry-minutes.js';

const t0 = Date.parse('2026-02-01T08:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
/** One step of 0.001° along a meridian, in metres (haversine = R·Δφ there). */
const STEP_M = (6_371_008.8 * 0.001 * Math.PI) / 180;
const DAY = 86_400_000;

/** A vehicle_log of the summaries' property test; ms after t0, every field optional. */
interface Fix { ms: number; armed?: boolean; lat?: number; lon?: number; speed?: number; volts?: number; seq?: number }
const iso = (ms: number) => new Date(t0 + ms).toISOString();
const fixPayload = (f: Fix) => ({
  ...(f.armed !== undefined && { armed: f.armed }), ...(f.lat !== undefined && { latitude: f.lat, longitude: f.lon }),
  ...(f.speed !== undefined && { speed: f.speed }), ...(f.volts !== undefined && { battery_voltage: f.volts }),
  ...(f.seq !== undefined && { seq: f.seq }), timestamp: iso(f.ms),
});

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * `n` fixes 0.2-2.2 s apart from `startMs`: armed flips now and then, some lack armed, position,
 * speed, voltage or seq; seq mostly counts up by one, now and then jumps, repeats or restarts.
 */
function randomFixes(rng: () => number, n: number, startMs: number): Fix[] {
  const out: Fix[] = [];
  let ms = startMs;
  let armed = false;
  let seq = 0;
  for (let i = 0; i < n; i++) {
    ms += 200 + Math.floor(rng() * 2000);
    if (rng() < 0.08) armed = !armed;
    const jump = rng();
    seq = jump < 0.05 ? seq + 2 + Math.floor(rng() * 5) : jump < 0.07 ? seq : jump < 0.08 ? 1 : seq + 1;
    out.push({ ...(rng() >= 0.1 && { seq }),
      ms, ...(rng() >= 0.1 && { armed }), ...(rng() >= 0.15 && { lat: -6 + i * 1e-4 + rng() * 1e-5, lon: 106.8 + rng() * 1e-4 }),
      ...(rng() >= 0.2 && { speed: Math.round(rng() * 600) / 100 }), ...(rng() >= 0.2 && { volts: Math.round((12.6 - i * 0.002) * 1000) / 1000 }),
    });
  }
  return out;
}

/** SPEC §10's gaps computed by hand over the fixes. */
function referenceGaps(rows: Fix[], from: number, to: number) {
  const withSeq = rows.filter((r) => r.seq !== undefined && r.ms >= from && r.ms < to).sort((p, q) => p.ms - q.ms);
  return withSeq.slice(1).flatMap((q, i) => {
    const p = withSeq[i]!;
    return q.seq! > p.seq! + 1 ? [{ fromSeq: p.seq! + 1, toSeq: q.seq! - 1, after: iso(p.ms), before: iso(q.ms) }] : [];
  });
}

/** SPEC §10's missions computed by hand over the fixes: the answer the query must give. */
function referenceMissions(rows: Fix[], from?: number, to?: number) {
  const rad = (d: number) => (d * Math.PI) / 180;
  const haversine = (p: Fix, q: Fix) => 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(
    Math.sin(rad(q.lat! - p.lat!) / 2) ** 2 + Math.cos(rad(p.lat!)) * Math.cos(rad(q.lat!)) * Math.sin(rad(q.lon! - p.lon!) / 2) ** 2)));
  const inWindow = rows.filter((r) => r.armed !== undefined && (from === undefined || r.ms >= from) && (to === undefined || r.ms < to)).sort((p, q) => p.ms - q.ms);
  const missions: { rows: Fix[]; end?: number }[] = [];
  let previous = false;
  for (const r of inWindow) {
    if (r.armed && !previous) missions.push({ rows: [r] });
    else if (r.armed && missions.length) missions[missions.length - 1]!.rows.push(r);
    else if (!r.armed && previous) Object.assign(missions[missions.length - 1]!, { end: r.ms }).rows.push(r);
    previous = r.armed!;
  }
  return missions.map(({ rows: m, end }) => {
    const fixes = m.filter((r) => r.lat !== undefined);
    const volts = m.filter((r) => r.volts !== undefined).map((r) => r.volts!);
    const speeds = m.filter((r) => r.speed !== undefined).map((r) => r.speed!);
    return {
      start: iso(m[0]!.ms), end: end === undefined ? null : iso(end),
      distanceMeters: expect.closeTo(fixes.slice(1).reduce((sum, f, i) => sum + haversine(fixes[i]!, f), 0), 6),
      durationSeconds: ((end ?? m[m.length - 1]!.ms) - m[0]!.ms) / 1000,
      maxSpeed: speeds.length ? Math.max(...speeds) : null,
      batteryUsedVolts: volts.length ? expect.closeTo(volts[0]! - volts[volts.length - 1]!, 9) : null,
    };
  });
}

describe.each(backends)('fleet history on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;

  beforeAll(async () => {
    svc = await startService(backend);
    vessel = await svc.publisher();
    const feed = await openFeed(`${svc.wsUrl}/api/ws`);
    const sends: [number, string, object | string][] = [
      // series: vessel 1's speed around the DST change (local times in the comments)
      ...([
        ['2026-03-27T22:30:00Z', 1], // Mar 27 23:30 CET
        ['2026-03-27T23:30:00Z', 2], // Mar 28 00:30 CET
        ['2026-03-28T10:00:10Z', 100],
        ['2026-03-28T10:00:50Z', 50],
        ['2026-03-28T22:30:00Z', 4], // Mar 28 23:30 CET
        ['2026-03-28T23:30:00Z', 8], // Mar 29 00:30 CET
        ['2026-03-29T21:30:00Z', 16], // Mar 29 23:30 CEST: that day had 23 hours
        ['2026-03-29T22:30:00Z', 32], // Mar 30 00:30 CEST
      ] as const).map(([timestamp, speed]): [number, string, object] => [1, 'vehicle_log', { speed, timestamp }]),
      // fleet(at): vessel 11 published out of time order; 12 later; 13 never sends telemetry
      [11, 'vehicle_log', { speed: 3, timestamp: at(20) }],
      [11, 'vehicle_log', { speed: 1, timestamp: at(0) }],
      [11, 'vehicle_log', { speed: 2, timestamp: at(10) }],
      [11, 'sensor_log', { sensor_id: 1, data: { temperature: 21 }, timestamp: at(18) }],
      [12, 'vehicle_log', { speed: 9, timestamp: at(30) }],
      [13, 'sensor_log', { sensor_id: 1, data: { temperature: 20 }, timestamp: at(5) }],
      // gaps: vessel 21 loses 4..6, repeats 8, restarts at 1, loses 3..4; one log without seq
      ...[[1, 0], [2, 1], [3, 2], [7, 3], [8, 4], [null, 5], [8, 5.5], [1, 6], [2, 7], [5, 8]].map(
        ([seq, s], i): [number, string, object] => [21, 'vehicle_log', { ...(seq === null ? {} : { seq }), speed: i, timestamp: at(s!) }],
      ),
      // missions: vessel 31 along a meridian, 0.001° (STEP_M) per fix
      ...([
        [0, false, -6.0, 0, 12.6],
        [10, true, -6.0, 1, 12.5],
        [20, true, -5.999, 3, 12.4],
        [25, null, -5.5, 99, 1], // no `armed`: left out
        [30, true, -5.998, 2, 12.3],
        [40, false, -5.997, 0, 12.2],
        [50, false, -5.997, 0, 12.2],
        [60, true, -5.997, 5, 12.1],
        [70, true, -5.996, null, 12.0],
      ] as const).map(([s, armed, latitude, speed, v]): [number, string, object] => [31, 'vehicle_log', {
        ...(armed === null ? {} : { armed }), latitude, longitude: 106.8, ...(speed === null ? {} : { speed }), battery_voltage: v, timestamp: at(s),
      }]),
      // replay: vessel 41, out of time order; the one at 3 s is past `to`
      [41, 'vehicle_log', { speed: 2, timestamp: at(2) }],
      [41, 'vehicle_log', { speed: 0, timestamp: at(0) }],
      [41, 'sensor_log', { sensor_id: 2, data: { depth: 0 }, timestamp: at(0.5) }],
      [41, 'sensor_log', { sensor_id: 1, data: { depth: 1 }, timestamp: at(1) }],
      [41, 'vehicle_log', { speed: 3, timestamp: at(3) }],
    ];
    for (const [v, type, payload] of sends) await svc.publish(vessel, v, type, payload);
    await feed.logs(sends.length); // all committed
    feed.close();
  });
  afterAll(disposeLeftovers);

  it('series(timeZone:) buckets start at local midnight across the DST change, exact with the rollup', async () => {
    const q = (from: string, to: string, buckets: number, zone = 'Europe/Berlin') =>
      svc.gql(`{ series(vehicleId: 1, field: "speed", from: "${from}", to: "${to}", buckets: ${buckets}, timeZone: "${zone}") { start avg min max count } }`);
    const days = await q('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z', 3);
    expect(days.errors).toBeUndefined();
    expect(days.data.series).toEqual([
      { start: '2026-03-27T23:00:00.000Z', avg: 39, min: 2, max: 100, count: 4 },
      { start: '2026-03-28T23:00:00.000Z', avg: 12, min: 8, max: 16, count: 2 },
      { start: '2026-03-29T22:00:00.000Z', avg: 32, min: 32, max: 32, count: 1 },
    ]);
    // From 10:00:30 UTC: the first bucket starts at local midnight before it and counts from it on.
    const two = await q('2026-03-28T10:00:30Z', '2026-03-30T22:00:00Z', 2);
    expect(two.data.series).toEqual([
      { start: '2026-03-27T23:00:00.000Z', avg: 19.5, min: 4, max: 50, count: 4 },
      { start: '2026-03-29T22:00:00.000Z', avg: 32, min: 32, max: 32, count: 1 },
    ]);
    const unknown = await q('2026-03-27T23:00:00Z', '2026-03-30T22:00:00Z', 3, 'Mars/Olympus_Mons');
    expect(unknown.errors?.[0]).toMatchObject({ message: expect.stringContaining('unknown time zone "Mars/Olympus_Mons"'), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('fleet(at): each vessel’s newest telemetry at or before that moment, by its own time', async () => {
    const fleet = async (when: string) =>
      (await svc.gql(`{ fleet(at: "${when}") { vehicleId telemetry { timestamp speed } } }`)).data.fleet.filter((e: any) => e.vehicleId >= 11 && e.vehicleId <= 13);
    expect(await fleet(at(15))).toEqual([{ vehicleId: 11, telemetry: { timestamp: at(10), speed: 2 } }]);
    expect(await fleet(at(20))).toEqual([{ vehicleId: 11, telemetry: { timestamp: at(20), speed: 3 } }]);
    expect(await fleet(new Date().toISOString())).toEqual([
      { vehicleId: 11, telemetry: { timestamp: at(20), speed: 3 } },
      { vehicleId: 12, telemetry: { timestamp: at(30), speed: 9 } },
      { vehicleId: 13, telemetry: null },
    ]);
  });

  it('gaps: the seq ranges missing between consecutive telemetry; a repeat or a restart is none', async () => {
    const gaps = async (from: number, to: number) =>
      (await svc.gql(`{ gaps(vehicleId: 21, from: "${at(from)}", to: "${at(to)}") { fromSeq toSeq after before } }`)).data.gaps;
    expect(await gaps(0, 100)).toEqual([
      { fromSeq: 4, toSeq: 6, after: at(2), before: at(3) },
      { fromSeq: 3, toSeq: 4, after: at(7), before: at(8) },
    ]);
    expect(await gaps(3, 100)).toEqual([{ fromSeq: 3, toSeq: 4, after: at(7), before: at(8) }]);
    expect(await gaps(0, 8)).toEqual([{ fromSeq: 4, toSeq: 6, after: at(2), before: at(3) }]);
    // The same once the pass has summarised vessel 21's minute.
    await new TelemetryMinutesPass(svc.app.orm, console, false).catchUp();
    expect(await gaps(0, 100)).toEqual([
      { fromSeq: 4, toSeq: 6, after: at(2), before: at(3) },
      { fromSeq: 3, toSeq: 4, after: at(7), before: at(8) },
    ]);
    expect(await gaps(-60, 60)).toEqual(await gaps(0, 100));
  });

  it('missions: armed to disarmed, with haversine distance, top speed and the voltage used', async () => {
    const missions = async (window = '') =>
      (await svc.gql(`{ missions(vehicleId: 31${window}) { start end distanceMeters durationSeconds maxSpeed batteryUsedVolts } }`)).data.missions;
    const all = await missions();
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ start: at(10), end: at(40), durationSeconds: 30, maxSpeed: 3 });
    expect(all[0].distanceMeters).toBeCloseTo(3 * STEP_M, 3);
    expect(all[0].batteryUsedVolts).toBeCloseTo(0.3, 9);
    expect(all[1]).toMatchObject({ start: at(60), end: null, durationSeconds: 10, maxSpeed: 5 });
    expect(all[1].distanceMeters).toBeCloseTo(STEP_M, 3);
    expect(all[1].batteryUsedVolts).toBeCloseTo(0.1, 9);
    // Under way at `from`: it starts at the window's first telemetry; not disarmed before `to`.
    const [part] = await missions(`, from: "${at(15)}", to: "${at(35)}"`);
    expect(part).toMatchObject({ start: at(20), end: null, durationSeconds: 10, maxSpeed: 3 });
    expect(part.distanceMeters).toBeCloseTo(STEP_M, 3);
    // The same once the pass has summarised vessel 31's minutes.
    await new TelemetryMinutesPass(svc.app.orm, console, false).catchUp();
    expect(await missions()).toEqual(all);
    expect((await missions(`, from: "${at(15)}", to: "${at(35)}"`))[0]).toEqual(part);
  });

  it('missions and gaps: the same from the per-minute summaries as from the rows, with a late backlog the pass has not reached', async () => {
    const feed = await openFeed(`${svc.wsUrl}/api/ws`);
    let published = 0;
    const publish = async (rows: Fix[]) => {
      for (const r of rows) await svc.publish(vessel, 32, 'vehicle_log', fixPayload(r));
      await feed.logs((published += rows.length)); // all committed
    };
    const pass = () => new TelemetryMinutesPass(svc.app.orm, console, false).catchUp();
    const rng = lcg(32);
    const a = randomFixes(rng, 320, 3600_000); // an hour after t0: ~6 minutes of vessel 32
    const end = a[a.length - 1]!.ms + 1000;
    // Windows at random and on whole minutes (summarised minutes at both ends), and unbounded.
    const windows: [number | undefined, number | undefined][] = [[undefined, undefined], [3600_000, end], [3660_000, 3840_000]];
    for (let i = 0; i < 12; i++) {
      const [x, y] = [3590_000 + rng() * (end - 3590_000), 3590_000 + rng() * (end - 3590_000)].map(Math.round).sort((p, q) => p - q);
      const minute = Math.ceil(x! / 60_000) * 60_000;
      windows.push([x, y! + 1], ...(minute < y! ? [[minute, y] as [number, number]] : []));
    }
    const check = async (rows: Fix[]) => {
      for (const [from, to] of windows) {
        const args = `${from === undefined ? '' : `, from: "${iso(from)}"`}${to === undefined ? '' : `, to: "${iso(to)}"`}`;
        const res = await svc.gql(`{ missions(vehicleId: 32${args}) { start end distanceMeters durationSeconds maxSpeed batteryUsedVolts } }`);
        expect(res.errors).toBeUndefined();
        expect(res.data.missions, `missions(${args})`).toEqual(referenceMissions(rows, from, to));
        const [f, t] = [from ?? -DAY, to ?? DAY];
        const gaps = await svc.gql(`{ gaps(vehicleId: 32, from: "${iso(f)}", to: "${iso(t)}") { fromSeq toSeq after before } }`);
        expect(gaps.data.gaps, `gaps(${iso(f)}, ${iso(t)})`).toEqual(referenceGaps(rows, f, t));
      }
    };
    await publish(a);
    await check(a); // beyond the watermark: all from the rows
    await pass();
    const [{ runs, minutes }] = await sql(svc, `select (select count(*)::int from armed_run where vehicle_id = 32 and armed is not null) as runs,
      (select count(*)::int from seq_minute where vehicle_id = 32 and jsonb_array_length(gaps) > 0) as minutes`);
    expect(runs).toBeGreaterThan(6); // the summaries are there to be read
    expect(minutes).toBeGreaterThan(2);
    await check(a);
    // Late telemetry between stored fixes: its minutes are read from the rows until the pass has been.
    const late = randomFixes(rng, 40, 0).map((f, i) => ({ ...f, ms: a[(i * 7) % a.length]!.ms + 50 }));
    await publish(late);
    const all = [...a, ...late];
    await check(all);
    await pass();
    await check(all);
    feed.close();
  });

  it('replay: the window’s logs in time order, spaced by their gaps / speed, then complete', async () => {
    const client = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const arrivals: { id: string; timestamp: string; type: string; ms: number }[] = [];
    const query = `subscription { replay(vehicleId: 41, from: "${at(0)}", to: "${at(3)}", speed: 4) { id type timestamp } }`;
    let completedMs = 0;
    let again: ReturnType<typeof subscribe> | undefined;
    await new Promise<void>((resolve, reject) =>
      client.subscribe({ query }, {
        next: ({ data }) => {
          arrivals.push({ ...(data!.replay as any), ms: performance.now() });
          // The same replay again while this one plays: its own from the first log, never joined half way.
          again ??= subscribe(client, parse(query));
        },
        error: reject,
        complete: () => ((completedMs = performance.now()), resolve()),
      }),
    );
    expect(arrivals.map((a) => [a.type, a.timestamp])).toEqual([
      ['VEHICLE_LOG', at(0)], ['SENSOR_LOG', at(0.5)], ['SENSOR_LOG', at(1)], ['VEHICLE_LOG', at(2)],
    ]);
    // Original offsets 0, 0.5, 1, 2 s and the end at 3 s, at 4×: 0, 125, 250, 500 and 750 ms.
    const first = arrivals[0]!.ms;
    const offsets = [...arrivals.map((a) => a.ms - first), completedMs - first];
    [0, 125, 250, 500, 750].forEach((want, i) => {
      expect(offsets[i]).toBeGreaterThanOrEqual(want - 20); // timers never fire early; 20 ms of clock granularity
      expect(offsets[i]).toBeLessThan(want + 300);
    });
    await again!.done;
    expect(again!.results.items.map((r: any) => r.replay.timestamp)).toEqual([at(0), at(0.5), at(1), at(2)]);
    const refused = subscribe(client, parse(`subscription { replay(vehicleId: 41, from: "${at(0)}", to: "${at(3)}", speed: 5000) { id } }`));
    const [errors] = await refused.errors.count(1);
    expect((errors as any)[0]).toMatchObject({ message: 'speed must be above 0 and at most 1000, got 5000', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
